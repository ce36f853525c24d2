"""Is the Pi's CPU being slowed down?  Under-voltage and heat, in words.

A hot or under-powered Pi drops from ~30 to a few frames a second, which the coach
should hear about rather than guess at.  Both are read from interfaces that the Pi 4
and the Pi 5 kernels share: the firmware's under-voltage alarm as a hwmon sensor
(``rpi_volt``, ``in0_lcrit_alarm``) and the SoC's temperature (the ``cpu-thermal`` zone;
the firmware caps the clock from 80 °C and throttles hard at 85 °C).  Not the firmware's
``get_throttled`` file: deprecated on a Pi 4 (a kernel warning on the first read) and
absent on a Pi 5.  The ``/sys`` root is a parameter, so tests read a fixture of each Pi.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYS = Path("/sys")
SOFT_LIMIT_C = 80.0  # the firmware starts capping the ARM clock here (Pi 4 and Pi 5)


@dataclass(frozen=True)
class Power:
    under_voltage: bool | None  # None: no such sensor (not a Pi)
    temp_c: float | None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def read_power(sys_root: Path = SYS) -> Power:
    """Now: the under-voltage alarm and the SoC temperature, each None where absent."""
    under = None
    for sensor in sorted((sys_root / "class/hwmon").glob("hwmon*")):
        if _read(sensor / "name") == "rpi_volt":
            alarm = _read(sensor / "in0_lcrit_alarm")
            under = None if alarm is None else alarm == "1"
    temp = None
    for zone in sorted((sys_root / "class/thermal").glob("thermal_zone*")):
        if _read(zone / "type") == "cpu-thermal":
            milli = _read(zone / "temp")
            try:
                temp = int(milli) / 1000.0 if milli is not None else None
            except ValueError:
                temp = None
    return Power(under, temp)


def describe(power: Power) -> str | None:
    """What is slowing the CPU now, in words; None when nothing is."""
    words = []
    if power.under_voltage:
        words.append("under-voltage (use the official power supply)")
    if power.temp_c is not None and power.temp_c >= SOFT_LIMIT_C:
        words.append(f"hot, {power.temp_c:.0f} °C: the firmware slows the CPU from {SOFT_LIMIT_C:.0f} °C "
                     f"(give the Pi air or a heatsink)")
    return ", ".join(words) or None
