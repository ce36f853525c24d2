"""LED and buzzer patterns on gpiozero's MockFactory: the recorded pin sequences and timings."""

from __future__ import annotations

import time

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from firmware_py.core.patterns import ALERT_BEEP_CAP, PATTERNS, PatternSelector
from firmware_py.cues.outputs import CueOutputs, outputs_off
from firmware_py.cues.pins import PinMap

PINS = PinMap()


@pytest.fixture
def factory():
    return MockFactory(pin_class=MockPWMPin)


@pytest.fixture
def outputs(factory):
    with CueOutputs(PINS, pin_factory=factory) as out:
        yield out


def states(factory, bcm):
    """(state, seconds since the previous change) for each recorded change, after the initial low."""
    recorded = factory.pin(bcm).states
    assert recorded[0].state in (False, 0)
    return [(bool(s.state), s.timestamp) for s in recorded[1:]]


def values(factory, bcm):
    return [v for v, _ in states(factory, bcm)]


def test_ok_warn_alert_switch_in_the_callers_thread(outputs, factory):
    for name, lit in (("ok", "green"), ("warn", "amber"), ("alert", "red")):
        assert outputs.play(name)
        levels = outputs.levels()  # no sleep: the change is already on the pins
        assert {k for k, v in levels.items() if v} == {lit} | ({"buzzer"} if name == "alert" else set())
    assert values(factory, PINS.green) == [True, False]
    assert values(factory, PINS.amber) == [True, False]
    assert values(factory, PINS.red) == [True]


def test_replaying_the_same_pattern_touches_nothing(outputs, factory):
    outputs.play("warn")
    assert not outputs.play("warn")
    assert values(factory, PINS.amber) == [True]


def test_alert_beeps_are_short_and_capped(outputs, factory):
    outputs.play("alert")
    wave = PATTERNS["alert"].buzzer
    time.sleep(ALERT_BEEP_CAP * (wave.on_s + wave.off_s) + 0.5)
    buzz = states(factory, PINS.buzzer)
    assert [v for v, _ in buzz] == [True, False] * ALERT_BEEP_CAP  # and then silence, red still on
    on_times = [dt for v, dt in buzz if not v]  # a fall's delta is how long it was on
    off_times = [dt for v, dt in buzz[1:] if v]
    assert all(0.06 <= dt <= 0.2 for dt in on_times), on_times
    assert all(0.25 <= dt <= 0.5 for dt in off_times), off_times
    assert outputs.levels() == {"green": 0, "amber": 0, "red": 1, "buzzer": 0}


def test_leaving_alert_silences_the_buzzer_at_once(outputs, factory):
    outputs.play("alert")
    outputs.play("ok")
    assert outputs.levels() == {"green": 1, "amber": 0, "red": 0, "buzzer": 0}
    time.sleep(0.5)
    assert values(factory, PINS.buzzer) == [True, False]


def test_idle_is_a_slow_green_blink(outputs, factory):
    outputs.play("idle")
    time.sleep(0.4)
    green = states(factory, PINS.green)
    assert [v for v, _ in green] == [True, False]
    assert 0.08 <= green[1][1] <= 0.2  # 0.1 s flash, then 1.9 s dark


def test_fault_flashes_red_and_never_beeps(outputs, factory):
    outputs.play("fault")
    time.sleep(1.1)
    red = values(factory, PINS.red)
    assert red[:4] == [True, False, True, False] and len(red) >= 4
    assert values(factory, PINS.buzzer) == []


@pytest.mark.parametrize("verdict, beep", [("pass", (0.05, 0.2)), ("fail", (0.5, 0.75))])
def test_terminal_verdicts_flash_once_with_a_short_or_long_beep(outputs, factory, verdict, beep):
    light = PINS.green if verdict == "pass" else PINS.red
    outputs.play(verdict)
    time.sleep(0.9)
    assert [v for v, _ in states(factory, light)] == [True, False]
    buzz = states(factory, PINS.buzzer)
    assert [v for v, _ in buzz] == [True, False]
    assert beep[0] <= buzz[1][1] <= beep[1]


def test_muted_alert_lights_but_never_sounds(factory):
    with CueOutputs(PINS, pin_factory=factory, muted=True) as out:
        out.play("alert")
        time.sleep(0.2)
        assert out.levels()["red"] == 1
    assert values(factory, PINS.buzzer) == []


def test_close_drives_everything_low_and_can_repeat(factory):
    out = CueOutputs(PINS, pin_factory=factory)
    out.play("alert")
    out.close()
    out.close()
    assert all(not factory.pin(p).state for p in PINS.outputs().values())


def test_outputs_off_after_a_crash_leaves_pins_low(factory):
    for bcm in PINS.outputs().values():  # as a killed process left them
        pin = factory.pin(bcm)
        pin.function = "output"
        pin.state = True
    assert outputs_off(PINS, pin_factory=factory) == dict.fromkeys(["green", "amber", "red", "buzzer"], 0)
    assert all(not factory.pin(p).state for p in PINS.outputs().values())


def test_rgb_led_shows_amber_as_red_plus_green(factory):
    pins = PinMap(led_kind="rgb")
    with CueOutputs(pins, pin_factory=factory) as out:
        out.play("warn")
        assert out.levels() == {"green": 0, "amber": 1, "red": 0, "buzzer": 0}
        assert (factory.pin(pins.red).state, factory.pin(pins.green).state, factory.pin(pins.amber).state) == (1, 1, 0)
        out.play("ok")
        assert out.levels()["green"] == 1 and not factory.pin(pins.red).state


def test_passive_buzzer_plays_distinct_tones(factory):
    pins = PinMap(buzzer_kind="passive")
    with CueOutputs(pins, pin_factory=factory) as out:
        out.play("alert")
        assert factory.pin(pins.buzzer).frequency == pytest.approx(2000.0)
        assert out.levels()["buzzer"] == 1
        out.play("fail")
        assert factory.pin(pins.buzzer).frequency == pytest.approx(400.0)
        out.play("ok")
        assert out.levels()["buzzer"] == 0


def test_pin_map_refuses_the_console_uart_and_shared_pins():
    with pytest.raises(ValueError, match="UART"):
        PinMap(buzzer=14)
    with pytest.raises(ValueError, match="share"):
        PinMap(red=17)
    with pytest.raises(ValueError, match="header"):
        PinMap(green=40)


class TestSelector:
    def test_concurrent_shows_the_cue_level(self):
        s = PatternSelector("concurrent")
        assert [s.select(t, level=lv) for t, lv in enumerate(("idle", "ok", "warn", "alert"))] == \
            ["idle", "ok", "warn", "alert"]

    def test_terminal_holds_each_verdict_then_goes_dark(self):
        s = PatternSelector("terminal")
        assert s.select(0.0, level="alert") == "dark"  # no cue during the rep
        assert s.select(1.0, level="ok", verdict="fail") == "fail"
        assert s.select(1.5, level="ok") == "fail"  # held for its length
        assert s.select(2.0, level="ok") == "dark"
        assert s.select(3.0, level="idle") == "idle"

    def test_silent_shows_nothing_but_faults(self):
        s = PatternSelector("silent")
        assert s.select(0.0, level="alert", verdict="fail") == "dark"
        assert s.select(0.1, level="alert", fault=True) == "fault"

    def test_fault_beats_calibration_beats_verdicts(self):
        s = PatternSelector("concurrent")
        assert s.select(0.0, level="ok", verdict="pass", state="calibrating") == "calibrating"
        assert s.select(0.1, level="ok", state="testing", fault=True) == "fault"

    def test_unknown_mode_is_refused(self):
        with pytest.raises(ValueError, match="concurrent"):
            PatternSelector("loud")
