"""Thresholds: the documented defaults (docs/judgement.md), validated changes, a console table."""

from __future__ import annotations

import dataclasses

import pytest

from firmware_py.core.settings import (
    DEFAULT,
    SETTINGS,
    FeedbackMode,
    SettingError,
    Thresholds,
)


def test_defaults_are_the_guide_values():
    t = Thresholds()
    assert (t.fppa_warn, t.fppa_alert) == (8.0, 12.0)
    assert t.knee_medial_alert == 0.10
    assert (t.pelvic_drop_warn, t.pelvic_drop_alert) == (4.0, 7.0)
    assert t.trunk_lean_alert == 10.0
    assert t.min_score == 0.3
    assert t.knee_separation_alert == 0.8
    assert t.debounce_ms == 100.0 and t.hysteresis_deg == 3.0


def test_every_field_is_described_and_every_default_is_allowed():
    assert [f.name for f in dataclasses.fields(Thresholds)] == list(SETTINGS)
    for key, spec in SETTINGS.items():
        spec.check(getattr(DEFAULT, key))
        assert spec.help and isinstance(spec.unit, str)


def test_with_value_parses_console_text_and_leaves_the_original_alone():
    t = DEFAULT.with_value("fppa_alert", " 14.5 ")
    assert t.fppa_alert == 14.5 and DEFAULT.fppa_alert == 12.0
    assert DEFAULT.with_value("check_hands_on_hips", "off").check_hands_on_hips is False
    assert DEFAULT.with_value("check_hands_on_hips", "ON").check_hands_on_hips is True
    assert DEFAULT.with_value("debounce_ms", 250).debounce_ms == 250.0


@pytest.mark.parametrize(
    "key, value, words",
    [
        ("fppa_alert", "75", "0..60 deg"),
        ("min_score", "1.5", "0.05..0.95"),
        ("debounce_ms", "-1", "0..1000 ms"),
        ("fppa_alert", "nan", "0..60 deg"),
        ("fppa_alert", "twelve", "0..60 deg"),
        ("check_hands_on_hips", "maybe", "on/off"),
    ],
)
def test_bad_values_name_the_allowed_range(key, value, words):
    with pytest.raises(SettingError, match=words.replace(".", r"\.")):
        DEFAULT.with_value(key, value)


def test_unknown_keys_and_crossed_thresholds_are_rejected():
    with pytest.raises(SettingError, match="unknown"):
        DEFAULT.with_value("fppa", "3")
    with pytest.raises(SettingError, match="fppa_alert"):
        DEFAULT.with_value("fppa_warn", "13")
    with pytest.raises(ValueError):  # SettingError is a ValueError
        Thresholds(pelvic_drop_warn=9.0)


def test_thresholds_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT.fppa_alert = 3.0  # type: ignore[misc]


def test_dict_round_trip_and_strict_loading():
    changed = DEFAULT.with_value("fppa_warn", "6")
    assert Thresholds.from_dict(changed.to_dict()) == changed
    assert Thresholds.from_dict({"fppa_alert": "15"}).fppa_alert == 15.0
    with pytest.raises(SettingError):
        Thresholds.from_dict({"bogus": 1})
    with pytest.raises(SettingError):
        Thresholds.from_dict({"fppa_alert": True})


def test_feedback_modes():
    assert [m.value for m in FeedbackMode] == ["concurrent", "terminal", "silent"]
    assert FeedbackMode.parse("Terminal") is FeedbackMode.TERMINAL
    with pytest.raises(SettingError, match="concurrent, terminal, silent"):
        FeedbackMode.parse("loud")
