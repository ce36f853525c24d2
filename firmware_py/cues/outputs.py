"""Plays patterns on real (or gpiozero-mock) LEDs and a buzzer.

The first edge of every pattern is written synchronously, in the caller's thread,
so a cue reaches the pin in the same loop iteration that scored the frame; blinking
and beeping then run in gpiozero's own background threads and never block the loop.
``close()`` drives everything low and is safe to call twice.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import warnings

from firmware_py.core.patterns import LIGHTS, PATTERNS, Pattern, Wave
from firmware_py.cues.pins import PinMap
from firmware_py.errors import PinError
from firmware_py.system import board

log = logging.getLogger(__name__)
OUTPUT_NAMES = (*LIGHTS, "buzzer")
RGB_OF = {"green": (0, 1, 0), "amber": (1, 1, 0), "red": (1, 0, 0)}


def make_pin_factory(kind: str = "auto"):
    """The pins: lgpio on a Raspberry Pi, gpiozero's own choice elsewhere, or its
    MockFactory.

    On a Pi the factory is lgpio's (PWM for a passive buzzer, every Pi from the 4 on),
    asked for by name so that a failure says why instead of falling through gpiozero's
    list to one without PWM or to nothing; a Pi whose pins cannot be driven raises
    ``PinError``: mock pins there would light nothing while the device claims to cue.
    Off a Pi, ``auto`` falls back to the mock, loudly, so the rest of the device
    (scoring, console, records) still runs on a laptop.
    """
    from gpiozero import Device
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    if kind == "mock":
        return MockFactory(pin_class=MockPWMPin)
    if kind != "auto":
        raise PinError(f"gpio must be 'auto' or 'mock', got {kind!r}")
    model = board.board_model()
    if board.is_raspberry_pi(model):
        return _pi_pin_factory(model)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gpiozero warns per factory it tries
            factory = Device._default_pin_factory()
        factory.pin(PinMap().green)  # a factory that cannot reach a pin fails here
        return factory
    except Exception as e:  # BadPinFactory, PinFactoryFallback, no /dev/gpiochip...
        log.warning("no GPIO on this machine (%s): using gpiozero's MockFactory, nothing will light", e)
        return MockFactory(pin_class=MockPWMPin)


def lgpio_workdir(environ=os.environ) -> str | None:
    """Where lgpio will make its notification pipe, made writable first.

    ``import lgpio`` creates a FIFO ``.lgd-nfy*`` in ``$LG_WD``, else in the working
    directory, and chdir()s there (lg's lgUtil.c); in a read-only directory (``/`` under
    systemd's ProtectSystem=strict) the import fails with FileNotFoundError (gpiozero
    issue #1106, lg issue #22).  The unit sets ``LG_WD``; a process started elsewhere in a
    read-only directory gets the runtime directory or the temporary one.  Returns the
    directory set, or None when nothing had to be."""
    if environ.get("LG_WD") or os.access(os.getcwd(), os.W_OK):
        return None
    environ["LG_WD"] = environ.get("RUNTIME_DIRECTORY", "").split(":")[0] or tempfile.gettempdir()
    return environ["LG_WD"]


def _pi_pin_factory(model: str):
    lgpio_workdir()
    try:
        from gpiozero.pins.lgpio import LGPIOFactory

        factory = LGPIOFactory()
        factory.pin(PinMap().green)
        return factory
    except Exception as e:
        raise PinError(
            f"the GPIO pins of this {model} cannot be driven ({type(e).__name__}: {e}). Check that "
            f"python3-lgpio is installed (apt) and visible in the venv, that the user is in the gpio group, "
            f"and that lgpio can make its pipe in $LG_WD or the working directory; `kneecue doctor` "
            f"checks each") from e


class _ToneWave(threading.Thread):
    """On/off tones for a passive buzzer (TonalBuzzer has no beep of its own)."""

    def __init__(self, buzzer, wave: Wave, hz: float):
        super().__init__(name="tone", daemon=True)
        self.buzzer, self.wave, self.hz = buzzer, wave, hz
        self.stopping = threading.Event()

    def run(self) -> None:
        n = 0
        try:
            while not self.stopping.is_set() and (self.wave.repeats is None or n < self.wave.repeats):
                if n:  # the first tone was started by the caller
                    self.buzzer.play(self.hz)
                if self.stopping.wait(self.wave.on_s):
                    break
                self.buzzer.stop()
                n += 1
                if self.stopping.wait(self.wave.off_s):
                    break
        finally:
            self.buzzer.stop()


class CueOutputs:
    def __init__(self, pins: PinMap = PinMap(), *, pin_factory=None, muted: bool = False):
        from gpiozero import LED, RGBLED, Buzzer, TonalBuzzer
        from gpiozero.tones import Tone

        self.pins = pins
        self.muted = muted
        self.pattern: str | None = None
        self._devices: list = []
        self._tone: _ToneWave | None = None
        self._lock = threading.Lock()
        try:
            if pins.led_kind == "rgb":
                self._rgb = self._add(RGBLED(pins.red, pins.green, pins.amber, pwm=False, pin_factory=pin_factory))
                self._leds = None
            else:
                self._rgb = None
                self._leds = {name: self._add(LED(getattr(pins, name), pin_factory=pin_factory)) for name in LIGHTS}
            if pins.buzzer_kind == "passive":
                # 250 Hz .. 4 kHz: the alert's 2 kHz cuts through gym noise, the fail tone is low.
                self._buzzer = self._add(TonalBuzzer(pins.buzzer, mid_tone=Tone(frequency=1000.0), octaves=2,
                                                     pin_factory=pin_factory))
            else:
                self._buzzer = self._add(Buzzer(pins.buzzer, pin_factory=pin_factory))
        except Exception:
            self.close()
            raise

    def _add(self, device):
        self._devices.append(device)
        return device

    # -- playing ---------------------------------------------------------------------

    def play(self, name: str) -> bool:
        """Switch to pattern ``name``; False (and nothing touched) if it is already playing."""
        with self._lock:
            if name == self.pattern or self._buzzer is None:
                return False
            pattern = PATTERNS[name]
            if self._rgb is not None:
                self._play_rgb(pattern)
            else:
                for light in LIGHTS:
                    self._play_wave(self._leds[light], pattern.lights.get(light), "blink")
            self._play_buzzer(pattern)
            self.pattern = name
            return True

    @staticmethod
    def _play_wave(device, wave: Wave | None, method: str) -> None:
        if wave is None:
            device.off()
            return
        device.on()  # the first edge, now
        if not wave.steady:
            getattr(device, method)(wave.on_s, wave.off_s, n=wave.repeats, background=True)

    def _play_rgb(self, pattern: Pattern) -> None:
        def colour(names) -> tuple[int, int, int]:
            return tuple(max((RGB_OF[n][i] for n in names), default=0) for i in range(3))

        on = colour(pattern.lights)
        steady = colour(n for n, w in pattern.lights.items() if w.steady)
        waves = [w for w in pattern.lights.values() if not w.steady]
        self._rgb.color = on
        if waves:
            w = waves[0]
            self._rgb.blink(w.on_s, w.off_s, on_color=on, off_color=steady, n=w.repeats, background=True)

    def _play_buzzer(self, pattern: Pattern) -> None:
        self._stop_tone()
        wave = None if self.muted else pattern.buzzer
        if self.pins.buzzer_kind != "passive":
            self._play_wave(self._buzzer, wave, "beep")
            return
        if wave is None:
            self._buzzer.stop()
            return
        self._buzzer.play(pattern.tone_hz or 1000.0)
        self._tone = _ToneWave(self._buzzer, wave, pattern.tone_hz or 1000.0)
        self._tone.start()

    def _stop_tone(self) -> None:
        if self._tone is not None:
            self._tone.stopping.set()
            self._tone.join(1.0)
            self._tone = None

    def only(self, name: str) -> None:
        """Only output ``name`` on (a light, or the buzzer at 1 kHz): for a person checking
        the wiring one output at a time (``kneecue doctor``).  ``off()`` ends it."""
        with self._lock:
            self._stop_tone()
            for device in self._devices:
                device.off() if not hasattr(device, "stop") else device.stop()
            if name == "buzzer":
                self._buzzer.play(1000.0) if self.pins.buzzer_kind == "passive" else self._buzzer.on()
            elif self._rgb is not None:
                self._rgb.color = RGB_OF[name]
            else:
                self._leds[name].on()
            self.pattern = None

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        current, self.pattern = self.pattern, None
        if current is not None:
            self.play(current)

    # -- reading ---------------------------------------------------------------------

    def levels(self) -> dict[str, int]:
        """Each output as the pins show it now: 1 driven high, 0 low."""
        if self._buzzer is None:
            return dict.fromkeys(OUTPUT_NAMES, 0)
        if self._rgb is not None:
            r, g, _ = (bool(v) for v in self._rgb.value)
            out = {"green": int(g and not r), "amber": int(r and g), "red": int(r and not g)}
        else:
            out = {name: int(bool(led.value)) for name, led in self._leds.items()}
        out["buzzer"] = int(bool(self._buzzer.is_active))
        return out

    # -- shutting down ---------------------------------------------------------------

    def off(self) -> None:
        """Every output low now (stops blinking and beeping first)."""
        with self._lock:
            self._stop_tone()
            for device in self._devices:
                try:
                    device.off() if not hasattr(device, "stop") else device.stop()
                except Exception:  # a device already closed
                    pass
            self.pattern = "dark"

    def close(self) -> None:
        """Outputs low, pins released (the hardware pull-downs then hold them low)."""
        if not self._devices:
            return
        self.off()
        for device in reversed(self._devices):
            device.close()
        self._devices = []
        self._buzzer = None

    def __enter__(self) -> "CueOutputs":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def outputs_off(pins: PinMap = PinMap(), *, pin_factory=None) -> dict[str, int]:
    """Drive every configured output low (systemd's ExecStopPost runs this after any stop)."""
    with CueOutputs(pins, pin_factory=pin_factory, muted=True) as outputs:
        outputs.off()
        return outputs.levels()
