"""The one pin map: firmware defaults, the wiring table and the schematic all read it.

BCM numbers.  Defaults avoid the UART (GPIO14/15, the coach's console), I2C (2/3),
SPI (7–11) and the pins a camera or HAT commonly claims, and sit next to a ground
pin on the header so a four-wire harness is enough.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from firmware_py.errors import PinError

LED_KINDS = ("discrete", "rgb")
BUZZER_KINDS = ("active", "passive")

# 40-pin header: BCM number -> physical pin.
HEADER_PIN: dict[int, int] = {
    2: 3, 3: 5, 4: 7, 5: 29, 6: 31, 7: 26, 8: 24, 9: 21, 10: 19, 11: 23, 12: 32, 13: 33,
    14: 8, 15: 10, 16: 36, 17: 11, 18: 12, 19: 35, 20: 38, 21: 40, 22: 15, 23: 16, 24: 18,
    25: 22, 26: 37, 27: 13,
}
GROUND_PINS = (6, 9, 14, 20, 25, 30, 34, 39)
RESERVED = {2: "I2C SDA", 3: "I2C SCL", 14: "UART TX (console)", 15: "UART RX (console)"}


@dataclass(frozen=True)
class PinMap:
    """Which BCM pin drives which output, and what kind of parts are fitted.

    With ``led_kind="rgb"`` one common-cathode RGB LED replaces the three: its red
    leg on ``red``, green leg on ``green`` and blue leg on ``amber`` (amber is then
    shown as red + green).  ``buzzer_kind="passive"`` drives a passive piezo with PWM
    tones (gpiozero ``TonalBuzzer``) instead of switching an active buzzer.
    """

    green: int = 17
    amber: int = 27
    red: int = 22
    buzzer: int = 23
    led_kind: str = "discrete"
    buzzer_kind: str = "active"

    def __post_init__(self) -> None:
        pins = self.outputs()
        for name, bcm in pins.items():
            if bcm not in HEADER_PIN:
                raise PinError(f"{name} pin GPIO{bcm} is not on the 40-pin header (use BCM 2–27)")
            if bcm in RESERVED:
                raise PinError(f"{name} pin GPIO{bcm} is the {RESERVED[bcm]}; choose another")
        if len(set(pins.values())) != len(pins):
            raise PinError(f"two outputs share a pin: {pins}")
        if self.led_kind not in LED_KINDS:
            raise PinError(f"led_kind must be one of {LED_KINDS}, got {self.led_kind!r}")
        if self.buzzer_kind not in BUZZER_KINDS:
            raise PinError(f"buzzer_kind must be one of {BUZZER_KINDS}, got {self.buzzer_kind!r}")

    def outputs(self) -> dict[str, int]:
        """Output name -> BCM pin, in wiring order."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.type in (int, "int")}
