#!/usr/bin/env bash
# Install KneeCue on a fresh Raspberry Pi OS Bookworm, 64-bit (Pi 4 or 5), as a systemd service.
#
#   sudo ./install.sh [--console uart|gadget|usb|none] [--dry-run]
#   sudo ./install.sh --broker mqtts://HOST:PORT [--broker-user NAME] [--broker-ca FILE]
#   sudo ./install.sh --uninstall [--dry-run]
#
# Idempotent: run it again after `git pull` to update.  --dry-run prints every step
# and changes nothing.  Steps: apt packages, the service user, a root-owned copy of the
# project in /opt/kneecue with a venv (system site packages for apt's picamera2, the
# pinned versions of install-constraints.txt), the model, the serial console for this
# board, /etc/default/kneecue, the unit, enable and start.  It says when a reboot is
# needed (the UART and the USB gadget take effect at boot).  With --broker (a team,
# docs/team.md) it also resolves the broker's host now and writes a drop-in that lets
# the service reach those addresses and no others, asks for the device's broker password
# (from the terminal, or one line on stdin; never an argument) and writes
# /var/lib/kneecue/broker.credentials, the service user's alone (0600).  KNEECUE_ROOT
# (default: /) is prepended to every file it reads or writes, for an image or a test.
set -euo pipefail

ROOT=${KNEECUE_ROOT:-}
PREFIX=$ROOT/opt/kneecue
VENV=$PREFIX/venv
USER_NAME=kneecue
UNIT=$ROOT/etc/systemd/system/kneecue.service
DEFAULTS=$ROOT/etc/default/kneecue
BOOT=$ROOT/boot/firmware
MODULES=$ROOT/etc/modules
SRC=$(cd "$(dirname "$0")" && pwd)
DROPIN=$ROOT/etc/systemd/system/kneecue.service.d
STATE=$ROOT/var/lib/kneecue
APT_PACKAGES=(python3-venv python3-picamera2 python3-lgpio)

dry_run=0
console=uart
action=install
broker=""
broker_user=$(hostname 2>/dev/null || echo kneecue)
broker_ca=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --uninstall) action=uninstall ;;
    --console) console=${2:?--console needs uart, gadget, usb or none}; shift ;;
    --broker) broker=${2:?--broker needs mqtt://HOST:PORT or mqtts://HOST:PORT}; shift ;;
    --broker-user) broker_user=${2:?--broker-user needs the username of this device on the broker}; shift ;;
    --broker-ca) broker_ca=${2:?--broker-ca needs the CA certificate file}; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$console" in
  uart|gadget|usb|none) ;;
  *) echo "install.sh: --console must be uart, gadget, usb or none" >&2; exit 2 ;;
esac
broker_host=""
if [ -n "$broker" ]; then
  [[ "$broker" =~ ^mqtts?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]+)?/?$ ]] \
    || { echo "install.sh: --broker must be mqtt://HOST:PORT or mqtts://HOST:PORT" >&2; exit 2; }
  broker_host=${BASH_REMATCH[1]}; broker_host=${broker_host#[}; broker_host=${broker_host%]}
  [[ "$broker_user" =~ ^[A-Za-z0-9_.-]{1,32}$ ]] \
    || { echo "install.sh: --broker-user must be 1-32 letters, digits, '_', '.' or '-' (the device name)" >&2; exit 2; }
  [ -z "$broker_ca" ] || [ -f "$broker_ca" ] || { echo "install.sh: --broker-ca $broker_ca: no such file" >&2; exit 2; }
fi

step=0
# run "what this does" command args...: print the step; do it unless --dry-run.
run() {
  local what=$1; shift
  step=$((step + 1))
  printf '%2d. %s\n    $ %s\n' "$step" "$what" "$*"
  if [ "$dry_run" -eq 0 ]; then "$@"; fi
}

if [ "$dry_run" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh), or add --dry-run to see the steps" >&2
  exit 1
fi

# -- the board: which UART is on the header's pins 8 and 10 ------------------------------
# Pi 5: /dev/serial0 is the 3-pin debug connector (ttyAMA10); the header's UART is
# ttyAMA0 once `dtparam=uart0=on` is in config.txt, and the login console stays on the
# debug connector.  Pi 4: /dev/serial0 is the header's UART (the mini UART ttyS0 while
# Bluetooth has the PL011), with `enable_uart=1` and no `console=serial0` in cmdline.txt.
model=$({ tr -d '\0' < "$ROOT/proc/device-tree/model"; } 2>/dev/null || true)
case "$model" in
  "Raspberry Pi 5"*|"Raspberry Pi Compute Module 5"*|"Raspberry Pi 500"*) board=5 ;;
  "Raspberry Pi"*) board=4 ;;
  *) board=unknown ;;
esac
uart_ready() {  # is the header UART already on, with no login console on it? (else: reboot)
  if [ "$board" = 5 ]; then
    grep -Eq '^dtparam=uart0(=on)?$' "$BOOT/config.txt" 2>/dev/null
  else
    grep -q '^enable_uart=1' "$BOOT/config.txt" 2>/dev/null && ! grep -q 'console=serial0' "$BOOT/cmdline.txt" 2>/dev/null
  fi
}
gadget_ready() {  # dwc2 in peripheral mode for every board: a line in [all], not one under [cm5]
  awk '/^\[/ { section = $0 } /^dtoverlay=dwc2/ && (section == "" || section == "[all]") && !/dr_mode=host/ { found = 1 }
       END { exit !found }' "$BOOT/config.txt" 2>/dev/null
}
case "$console" in
  uart) port=/dev/serial0; [ "$board" = 5 ] && port=/dev/ttyAMA0 ;;
  gadget) port=/dev/ttyGS0 ;;
  usb) port=/dev/ttyUSB0 ;;
  none) port=none ;;
esac
reboot=""
if [ "$console" = uart ] && ! uart_ready; then reboot="the UART on pins 8 and 10 ($port)"; fi
if [ "$console" = gadget ] && { ! gadget_ready || ! grep -qx g_serial "$MODULES" 2>/dev/null; }; then
  reboot="USB gadget serial ($port)"
fi

# A tree the installer runs code from as root must be root's alone: a venv or model that
# another user could rename away and replace would run as root at the next install.
trusted() {  # $1: a path; true when it and everything in it is owned by root and writable by root alone
  [ -z "$(find "$1" \( ! -user root -o \( ! -type l -perm /022 \) \) -print -quit 2>/dev/null)" ]
}

# The steps that are more than one command (run prints the name and arguments).
copy_tree() {  # SRC DEST: root's own copy whoever owns the checkout (tar as root keeps the owner)
  mkdir -p "$2"
  tar -C "$1" --exclude=.git --exclude=.venv --exclude=./venv --exclude=./build --exclude='*.egg-info' -cf - . \
    | tar -C "$2" --no-same-owner --no-same-permissions -xf -
  chown -R root:root "$2"
  chmod -R go-w "$2"
}
add_gadget_overlay() {  # CONFIG: Bookworm's stock file has dtoverlay=dwc2,dr_mode=host under [cm5] only
  gadget_ready || printf '\n[all]\ndtoverlay=dwc2,dr_mode=peripheral\n' >> "$1"
}
add_line() {  # LINE FILE
  grep -qx "$1" "$2" 2>/dev/null || echo "$1" >> "$2"
}
broker_addresses() {  # HOST: its addresses now, and the name servers when it is a name (the service resolves it)
  getent ahosts "$1" | awk '{print $1}' | sort -u
  if ! [[ "$1" =~ ^[0-9.]+$|: ]]; then awk '$1 == "nameserver" {print $2}' "$ROOT/etc/resolv.conf" 2>/dev/null; fi
}
write_broker_dropin() {  # DIR ADDRESS...: the network the unit closes, opened to these addresses only
  local dir=$1; shift
  mkdir -p "$dir"
  printf '%s\n' "# written by install.sh --broker: the broker's addresses when it was installed (docs/team.md)" \
    "[Service]" "PrivateNetwork=no" "RestrictAddressFamilies=" \
    "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6" "IPAddressDeny=any" \
    "IPAddressAllow=$*" > "$dir/broker.conf"
  chmod 0644 "$dir/broker.conf"
}
write_credentials() {  # FILE USER: username:password, the service user's alone (the password from $broker_password)
  mkdir -p "$(dirname "$1")"
  chown "$USER_NAME:$USER_NAME" "$(dirname "$1")"
  chmod 0750 "$(dirname "$1")"
  (umask 077; printf '%s:%s\n' "$2" "$broker_password" > "$1")
  chown "$USER_NAME:$USER_NAME" "$1"
  chmod 0600 "$1"
}
write_defaults() {  # FILE PORT
  printf 'KNEECUE_ARGS="--console %s"\nKNEECUE_MODEL_DIR=/opt/kneecue/models\n' "$2" > "$1"
}

if [ "$action" = uninstall ]; then
  # stopping runs the unit's ExecStopPost (outputs off); then again, as the service user
  run "stop and disable the service" systemctl disable --now kneecue.service
  if [ "$dry_run" -eq 1 ] || trusted "$PREFIX"; then
    run "drive the LEDs and buzzer low (as the service user)" runuser -u "$USER_NAME" -- "$VENV/bin/kneecue" outputs-off
  else
    echo "install.sh: $PREFIX is not root's alone: its kneecue is not run" >&2
  fi
  run "remove the unit, its broker drop-in and its settings file" rm -rf "$UNIT" "$DROPIN" "$DEFAULTS"
  run "reload systemd" systemctl daemon-reload
  run "remove the program (settings stay in /var/lib/kneecue)" rm -rf "$PREFIX"
  run "remove the service user" userdel "$USER_NAME"
  if [ "$dry_run" -eq 1 ]; then echo "dry run: nothing was changed"; else
    echo "uninstalled; athlete settings are kept in /var/lib/kneecue (delete it by hand to lose them)"; fi
  exit 0
fi

if [ "$(getconf LONG_BIT)" != 64 ]; then
  echo "install.sh: this is a 32-bit Raspberry Pi OS; KneeCue needs the 64-bit one (its pose runtime has" \
       "no 32-bit wheels): flash 'Raspberry Pi OS (64-bit)' with Raspberry Pi Imager" >&2
  exit 1
fi
[ "$board" = unknown ] && echo "install.sh: no Raspberry Pi in /proc/device-tree/model: the steps are a Pi 4's" >&2

run "refresh the package lists" apt-get update
run "install system packages (camera, GPIO)" apt-get install -y --no-install-recommends "${APT_PACKAGES[@]}"
run "create the service user (no login, no home)" \
  sh -c "id -u $USER_NAME >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $USER_NAME"
run "let it use GPIO, the camera and serial ports" usermod -a -G gpio,video,dialout "$USER_NAME"
if [ -e "$PREFIX" ] && ! trusted "$PREFIX"; then
  run "remove $PREFIX: not root's alone, so nothing in it is run" rm -rf "$PREFIX"
fi
run "copy the project to $PREFIX, owned by root and writable by root alone" copy_tree "$SRC" "$PREFIX"
run "make the venv (with apt's picamera2 and lgpio visible)" python3 -m venv --system-site-packages "$VENV"
# apt's picamera2 needs apt's numpy (1.24, < 2): the constraints pin every package to a
# version built for it, so pip does not backtrack through releases that need numpy 2.
run "install KneeCue into it (the versions of install-constraints.txt, numpy < 2 for apt's picamera2)" \
  "$VENV/bin/pip" install --quiet -c "$PREFIX/install-constraints.txt" "$PREFIX"
# The models ship in models/ (copied above): fetch finds the pinned file in place and
# checks its sha256, with no network.
run "fetch the pinned model (sha256-checked)" "$VENV/bin/kneecue" model fetch --dir "$PREFIX/models"
case "$console" in
  uart)
    if [ "$board" = 5 ]; then
      run "serial console on the header's UART0 (pins 8/10, $port): dtparam=uart0=on" \
        raspi-config nonint do_serial_hw 0
      run "keep a login getty off it" systemctl disable --now serial-getty@ttyAMA0.service
    else
      # the getty running now is on what serial0 points to (ttyS0 while Bluetooth has the PL011)
      if [ -L "$ROOT/dev/serial0" ]; then live=$(basename "$(readlink "$ROOT/dev/serial0")"); else live="ttyS0 ttyAMA0"; fi
      gettys=(); for tty in $live; do gettys+=("serial-getty@$tty.service"); done
      run "serial console on the header's UART (pins 8/10, $port): no login shell on it, UART on" \
        sh -c "raspi-config nonint do_serial_cons 1 && raspi-config nonint do_serial_hw 0"
      run "keep the login getty off it (serial0 is ${live// / or } now)" systemctl disable --now "${gettys[@]}"
    fi ;;
  gadget)
    run "USB gadget serial: dwc2 in peripheral mode for every board ([all] in config.txt)" \
      add_gadget_overlay "$BOOT/config.txt"
    run "USB gadget serial: load g_serial at boot" add_line g_serial "$MODULES"
    run "keep the login getty off the gadget port" systemctl mask serial-getty@ttyGS0.service ;;
esac
run "write ${DEFAULTS#"$ROOT"} (console $port)" write_defaults "$DEFAULTS" "$port"
run "install the unit" install -m 0644 "$PREFIX/systemd/kneecue.service" "$UNIT"
if [ -n "$broker" ]; then
  mapfile -t addresses < <(broker_addresses "$broker_host")
  [ ${#addresses[@]} -gt 0 ] || { echo "install.sh: $broker_host does not resolve here; check the name" >&2; exit 1; }
  broker_password=""
  if [ "$dry_run" -eq 0 ]; then
    if [ -t 0 ]; then IFS= read -rsp "broker password for $broker_user: " broker_password; echo; else IFS= read -r broker_password; fi
    [ -n "$broker_password" ] || { echo "install.sh: no broker password given" >&2; exit 1; }
  fi
  run "let the service reach the broker ($broker_host) and nothing else: ${addresses[*]}" \
    write_broker_dropin "$DROPIN" "${addresses[@]}"
  run "write the broker credentials ($broker_user), the service user's alone (0600)" \
    write_credentials "$STATE/broker.credentials" "$broker_user"
  if [ -n "$broker_ca" ]; then
    run "install the broker's CA certificate" install -D -m 0644 "$broker_ca" "$ROOT/etc/kneecue/broker-ca.crt"
  fi
fi
run "reload systemd" systemctl daemon-reload
run "start on every boot" systemctl enable kneecue.service
# --no-block: the service says READY once its pins and console are up, but a restart
# need not wait even for that (a missing camera is a fault it shows, not a start it waits on)
run "(re)start it now" systemctl restart --no-block kneecue.service
if [ "$dry_run" -eq 1 ]; then
  echo "dry run: nothing was changed"
else
  echo "installed: 'systemctl status kneecue' shows fps or the fault; 'kneecue doctor' checks camera, pins and port;" \
       "the coach's console is on $port at 115200"
fi
if [ -n "$broker" ]; then
  echo "on the console: set broker $broker; set device_name $broker_user;" \
       "${broker_ca:+set broker_ca /etc/kneecue/broker-ca.crt; }save"
fi
if [ -n "$reboot" ]; then
  echo "reboot needed: $reboot takes effect at boot: sudo reboot"
fi
