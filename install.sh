#!/usr/bin/env bash
# Install KneeCue on a fresh Raspberry Pi OS Bookworm (Pi 4 or 5) as a systemd service.
#
#   sudo ./install.sh [--console uart|gadget|usb|none] [--dry-run]
#   sudo ./install.sh --uninstall [--dry-run]
#
# Idempotent: run it again after `git pull` to update.  --dry-run prints every step
# and changes nothing.  Steps: apt packages, the service user, a copy of the project
# in /opt/kneecue with a venv (system site packages for apt's picamera2, numpy < 2),
# the model, the serial console, /etc/default/kneecue, the unit, enable and start.
set -euo pipefail

PREFIX=/opt/kneecue
VENV=$PREFIX/venv
USER_NAME=kneecue
UNIT=/etc/systemd/system/kneecue.service
DEFAULTS=/etc/default/kneecue
BOOT_CONFIG=/boot/firmware/config.txt
SRC=$(cd "$(dirname "$0")" && pwd)
APT_PACKAGES=(python3-venv python3-picamera2 python3-lgpio python3-libgpiod)

dry_run=0
console=uart
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=1 ;;
    --uninstall) action=uninstall ;;
    --console) console=${2:?--console needs uart, gadget, usb or none}; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$console" in
  uart) port=/dev/serial0 ;;
  gadget) port=/dev/ttyGS0 ;;
  usb) port=/dev/ttyUSB0 ;;
  none) port=none ;;
  *) echo "install.sh: --console must be uart, gadget, usb or none" >&2; exit 2 ;;
esac

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

if [ "$action" = uninstall ]; then
  run "stop and disable the service" systemctl disable --now kneecue.service
  run "drive the LEDs and buzzer low" "$VENV/bin/kneecue" outputs-off
  run "remove the unit and its settings file" rm -f "$UNIT" "$DEFAULTS"
  run "reload systemd" systemctl daemon-reload
  run "remove the program (settings stay in /var/lib/kneecue)" rm -rf "$PREFIX"
  run "remove the service user" userdel "$USER_NAME"
  if [ "$dry_run" -eq 1 ]; then echo "dry run: nothing was changed"; else
    echo "uninstalled; athlete settings are kept in /var/lib/kneecue (delete it by hand to lose them)"; fi
  exit 0
fi

run "install system packages (camera, GPIO)" apt-get install -y "${APT_PACKAGES[@]}"
run "create the service user (no login, no home)" \
  sh -c "id -u $USER_NAME >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin $USER_NAME"
run "let it use GPIO, the camera and serial ports" usermod -a -G gpio,video,dialout "$USER_NAME"
run "copy the project to $PREFIX" \
  sh -c "mkdir -p $PREFIX && tar -C '$SRC' --exclude=.git --exclude=.venv --exclude=./build --exclude='*.egg-info' -cf - . | tar -C $PREFIX -xf -"
run "make the venv (with apt's picamera2 visible)" python3 -m venv --system-site-packages "$VENV"
run "install KneeCue into it (numpy < 2: apt's picamera2 needs it)" \
  "$VENV/bin/pip" install --quiet 'numpy<2' "$PREFIX"
# The models ship in models/ (copied above): fetch finds the pinned file in place and
# checks its sha256, with no network.
run "fetch the pinned model (sha256-checked)" "$VENV/bin/kneecue" model fetch --dir "$PREFIX/models"
case "$console" in
  uart)
    run "serial console on the GPIO UART: no login shell on it, UART on" \
      sh -c "raspi-config nonint do_serial_cons 1 && raspi-config nonint do_serial_hw 0"
    run "keep the login getty off the UART" systemctl disable --now serial-getty@ttyAMA0.service serial-getty@serial0.service ;;
  gadget)
    run "USB gadget serial: dwc2 overlay" \
      sh -c "grep -q '^dtoverlay=dwc2' $BOOT_CONFIG || echo 'dtoverlay=dwc2' >> $BOOT_CONFIG"
    run "USB gadget serial: load g_serial at boot" \
      sh -c "grep -qx g_serial /etc/modules || echo g_serial >> /etc/modules"
    run "keep the login getty off the gadget port" systemctl mask serial-getty@ttyGS0.service ;;
esac
run "write $DEFAULTS (console $port)" \
  sh -c "printf 'KNEECUE_ARGS=\"--console $port\"\nKNEECUE_MODEL_DIR=$PREFIX/models\n' > $DEFAULTS"
run "install the unit" install -m 0644 "$PREFIX/systemd/kneecue.service" "$UNIT"
run "reload systemd" systemctl daemon-reload
run "start on every boot" systemctl enable kneecue.service
run "(re)start it now" systemctl restart kneecue.service
if [ "$dry_run" -eq 1 ]; then
  echo "dry run: nothing was changed"
else
  echo "installed: 'systemctl status kneecue' shows fps or the fault; the coach's console is on $port at 115200"
fi
