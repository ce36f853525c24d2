"""A team's security (issue 27 item 4): the installer's broker drop-in keeps the unit's
`systemd-analyze security` at 2.0 or better and writes the credentials for the service
user alone; the example broker config takes TLS and passwords, and its ACL lets a device
write only its own tree and the coach only read."""

from __future__ import annotations

import shutil
import stat
import subprocess
import threading
import time
from pathlib import Path

import pytest
from mosquitto import Mosquitto
from test_install import board_root, checkout_copy, install_sh

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "systemd" / "mosquitto"


def exposure(*args: str) -> float:
    result = subprocess.run(["systemd-analyze", "security", "--offline=true", *args], capture_output=True, text=True)
    line = [x for x in result.stdout.splitlines() if "Overall exposure level" in x][0]
    return float(line.split(":")[1].split()[0])


def test_the_broker_drop_in_opens_the_brokers_addresses_only_and_keeps_exposure_at_2_or_better(tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    checkout = checkout_copy(tmp_path / "checkout")
    root = board_root(tmp_path, "pi4")
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    result, called = install_sh(tmp_path, "--broker", "mqtts://127.0.0.1:8883", "--broker-user", "pi-1",
                                "--broker-ca", str(ca), root=root, script=checkout / "install.sh", real_files=True,
                                extra_stubs={"chown": ""}, stdin="s3cret:with colon\n")
    assert result.returncode == 0, result.stderr
    dropin = root / "etc/systemd/system/kneecue.service.d/broker.conf"
    assert dropin.read_text().splitlines()[1:] == [
        "[Service]", "PrivateNetwork=no", "RestrictAddressFamilies=",
        "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6", "IPAddressDeny=any", "IPAddressAllow=127.0.0.1"]
    credentials = root / "var/lib/kneecue/broker.credentials"
    assert credentials.read_text() == "pi-1:s3cret:with colon\n"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert "chown kneecue:kneecue " + str(credentials) in called
    assert "s3cret" not in result.stdout + result.stderr + called  # never an argument, never printed
    assert (root / "etc/kneecue/broker-ca.crt").read_text() == ca.read_text()
    assert "set broker mqtts://127.0.0.1:8883; set device_name pi-1; set broker_ca /etc/kneecue/broker-ca.crt; save" \
        in result.stdout
    alone = exposure(str(ROOT / "systemd" / "kneecue.service"))
    with_broker = exposure(f"--root={root}", "kneecue.service")
    print(f"systemd-analyze security: {alone} without a broker, {with_broker} with the broker drop-in")
    assert alone <= 1.0 and with_broker <= 2.0


def test_the_installer_refuses_a_broker_it_cannot_use(tmp_path):
    result, _ = install_sh(tmp_path, "--broker", "http://x", "--dry-run")
    assert result.returncode == 2 and "mqtt://HOST:PORT" in result.stderr
    result, _ = install_sh(tmp_path, "--broker", "mqtt://x:1883", "--broker-user", "a/b", "--dry-run")
    assert result.returncode == 2 and "--broker-user" in result.stderr


def test_the_example_broker_takes_tls_and_passwords_and_its_acl_keeps_each_device_to_its_own_tree(tmp_path):
    """The example configuration, its paths and port swapped for the test's, on a real
    Mosquitto: a device connects over TLS with its password; what it writes under its own
    name reaches the coach, what it writes under another device's does not, and what
    the coach writes reaches nobody."""
    with Mosquitto(tmp_path / "broker", tls=True, users={"pi-1": "one", "pi-2": "two", "coach": "c"},
                   acl=(EXAMPLES / "kneecue.acl").read_text()) as broker:
        conf = (EXAMPLES / "kneecue.conf").read_text()
        for line in ("listener 8883", "cafile", "certfile", "keyfile", "allow_anonymous false", "password_file",
                     "acl_file", "tls_version tlsv1.2"):
            assert line in conf
        coach = _client(broker.port, "coach", "c", str(broker.cafile))
        heard: list[str] = []
        subscribed = threading.Event()
        coach.on_message = lambda c, u, m: heard.append(m.topic)
        coach.on_subscribe = lambda *a: subscribed.set()
        coach.subscribe("kneecue/#", qos=1)
        assert subscribed.wait(5)
        device = _client(broker.port, "pi-1", "one", str(broker.cafile))
        for topic in ("kneecue/pi-2/rep", "kneecue/pi-1/rep"):
            device.publish(topic, b"{}", qos=1).wait_for_publish(5)
        for topic in ("kneecue/pi-1/status", "kneecue/coach/status", "kneecue/coach"):  # the device pattern is not the coach's
            coach.publish(topic, b"{}", qos=1).wait_for_publish(5)
        time.sleep(0.3)
        assert heard == ["kneecue/pi-1/rep"]
        for client in (coach, device):
            client.loop_stop()
            client.disconnect()


def test_the_devices_credentials_work_over_tls_through_the_team_publisher(tmp_path):
    from firmware_py.device.broker import Broker
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device
    from firmware_py.team.control import Team

    with Mosquitto(tmp_path / "broker", tls=True, users={"pi-1": "one"},
                   acl=(EXAMPLES / "kneecue.acl").read_text()) as broker:
        state = tmp_path / "state"
        state.mkdir()
        (state / "broker.credentials").write_text("pi-1:one\n")
        (state / "broker.credentials").chmod(0o600)
        team = Team(Device(DeviceConfig(), state_dir=state), state)
        team.apply(Broker(url=f"mqtts://localhost:{broker.port}", device="pi-1", ca=str(broker.cafile)))
        try:
            deadline = time.monotonic() + 8
            while "connected" not in team.line() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert team.line().startswith(f"broker: connected to localhost:{broker.port} as pi-1")
        finally:
            team.close()


def _client(port: int, user: str, password: str, ca: str):
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.username_pw_set(user, password)
    client.tls_set(ca_certs=ca)
    client.connect("localhost", port)
    client.loop_start()
    return client
