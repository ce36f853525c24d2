"""The kneecue command as a user runs it: one clear line per mistake, JSON a script can read."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def kneecue(*args, env_extra=None, timeout=120):
    env = dict(os.environ)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "firmware_py", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=timeout)


def assert_one_line_error(result, *words):
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kneecue: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_missing_model(media, tmp_path):
    result = kneecue("analyze", media("tfjs_three_people_upper_body.jpg"), "--model", tmp_path / "none.tflite")
    assert_one_line_error(result, "none.tflite", "does not exist")


def test_no_model_anywhere_says_how_to_get_one(media, tmp_path):
    # The package on its own, without the checkout's models/ beside it (as a copy
    # installed elsewhere would be), and an empty KNEECUE_MODEL_DIR.
    import shutil
    from pathlib import Path

    import firmware_py

    pkg = tmp_path / "pkg"
    shutil.copytree(Path(firmware_py.__file__).parent, pkg / "firmware_py",
                    ignore=shutil.ignore_patterns("__pycache__"))
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ, KNEECUE_MODEL_DIR=str(empty), PYTHONPATH=str(pkg))
    result = subprocess.run([sys.executable, "-m", "firmware_py", "analyze", str(media("tfjs_three_people_upper_body.jpg"))],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert_one_line_error(result, "kneecue model fetch", str(empty), str(pkg / "models"))


def test_text_file_renamed_tflite(media, tmp_path):
    fake = tmp_path / "model.tflite"
    fake.write_text("hello\n")
    assert_one_line_error(kneecue("analyze", media("tfjs_three_people_upper_body.jpg"), "--model", fake),
                          "model.tflite", "not a TFLite model")


def test_unreadable_video(model_path, tmp_path):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(os.urandom(4096))
    assert_one_line_error(kneecue("analyze", bad, "--model", model_path), "clip.mp4", "could not be decoded")


def test_path_that_does_not_exist(model_path, tmp_path):
    assert_one_line_error(kneecue("analyze", tmp_path / "nope.mov", "--model", model_path),
                          "nope.mov", "does not exist")


def test_model_fetch_offline_fails_clearly(tmp_path):
    result = kneecue("model", "fetch", "--dir", tmp_path, "--url", "http://127.0.0.1:9/m.tflite")
    assert_one_line_error(result, "could not download", str(tmp_path))


def test_model_check_names_the_pinned_model(model_path):
    result = kneecue("model", "check", model_path)
    assert result.returncode == 0
    assert "pinned lightning-int8, sha256 ok" in result.stdout


def test_analyze_json_lines(model_path, media, tmp_path):
    out = tmp_path / "clip.jsonl"
    result = kneecue("analyze", media("tfjs_dance_single_leg_frontal.mp4"), "--json", "--out", out,
                     "--model", model_path)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    frames = [r for r in records if "frame" in r]
    assert [r["frame"] for r in frames] == list(range(120))
    assert frames[30]["t"] == pytest.approx(1.0, abs=0.01)
    assert all(len(r["keypoints"]) == 17 and len(r["keypoints"][0]) == 3 for r in frames)
    assert {"fppa_left", "fppa_right"} <= set(frames[0]["metrics"])
    # The dancer stands on her left leg the whole clip: its angle is measured.
    assert sum(r["metrics"]["fppa_left"] is not None for r in frames) > 100


def test_analyze_table_for_people(model_path, media):
    result = kneecue("analyze", media("sqd_single_leg_knee_collapse_annotated.png"), "--model", model_path)
    assert result.returncode == 0, result.stderr
    whose, header, row = result.stdout.splitlines()[:3]
    assert whose.startswith("thresholds: defaults; drill auto")
    assert header.split()[:6] == ["frame", "t", "FPPA", "L°", "FPPA", "R°"]
    frame, t, fppa_left, fppa_right = row.split()[:4]
    assert float(fppa_right) > 20.0  # the collapsing right knee


def test_bench_reports_ratio(model_path):
    result = kneecue("bench", "--frames", "15", "--json", "--model", model_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["frames"] == 10
    assert report["ratio"] == pytest.approx(report["pipeline_median_ms"] / report["bare_invoke_median_ms"], rel=1e-3)
    assert set(report["stages"]) >= {"crop", "invoke", "keypoints", "scoring", "pipeline", "bare_invoke"}


def test_report_says_where_it_looked_when_there_is_no_session(tmp_path):
    (tmp_path / "empty").mkdir()
    done = kneecue("report", tmp_path / "empty")
    assert done.returncode == 1
    assert done.stderr.strip() == f"kneecue: error: no sessions in {tmp_path / 'empty'} (looked for " \
                                  "*/session.jsonl and sessions/*/session.jsonl)"
    done = kneecue("report", "last", "--state-dir", tmp_path / "state")
    assert done.returncode == 1
    assert done.stderr.strip() == f"kneecue: error: no sessions recorded in {tmp_path / 'state' / 'sessions'}"


def test_eval_takes_a_setting_other_than_its_default_and_refuses_a_wrong_one(model_path):
    assert_one_line_error(kneecue("eval", "--set", "knee_over_toe=on", "--model", model_path),
                          "--set knee_over_toe=on", "unknown setting")
    assert_one_line_error(kneecue("eval", "--set", "view", "--model", model_path), "KEY=VALUE")
    from firmware_py.core.settings import Thresholds
    from firmware_py.tools.analyze import with_settings  # what eval and analyze apply

    changed = with_settings(Thresholds(), ["knee_over_toe_trigger=on", " Debounce_ms = 150"])
    assert changed.knee_over_toe_trigger is True and changed.debounce_ms == 150.0


def test_outputs_off_drives_the_pins_the_settings_name_not_the_defaults(tmp_path):
    from firmware_py.cues.pins import PinMap
    from firmware_py.device.config import DeviceConfig, save_config

    save_config(tmp_path, DeviceConfig(pins=PinMap(green=5, amber=6, red=13, buzzer=19)))
    result = kneecue("outputs-off", "--gpio", "mock", "--state-dir", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("outputs off: green (GPIO5) 0, amber (GPIO6) 0, red (GPIO13) 0, "
                                     "buzzer (GPIO19) 0")


@pytest.mark.parametrize("damage", ["[" * 200_000, '{"version": 2, "console": {"baud": ' + "9" * 5000 + "}}"],
                         ids=["nested", "long-number"])
def test_outputs_off_and_run_fall_back_whatever_the_settings_file_holds(tmp_path, damage):
    """Issue 28 item 11: contents that made the JSON reader raise RecursionError or
    ValueError (past Python's 4300-digit limit) are damage like any other."""
    from firmware_py.cues.pins import PinMap
    from firmware_py.device.config import DeviceConfig, load_config, save_config

    good = DeviceConfig(pins=PinMap(green=5, amber=6, red=13, buzzer=19))
    save_config(tmp_path, good)
    save_config(tmp_path, good)  # the last good copy
    (tmp_path / "config.json").write_text(damage)
    config, warning = load_config(tmp_path)  # what `kneecue run` starts from
    assert config == good and "unreadable" in warning and "last good copy" in warning
    result = kneecue("outputs-off", "--gpio", "mock", "--state-dir", tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert result.stdout.strip() == ("outputs off: green (GPIO5) 0, amber (GPIO6) 0, red (GPIO13) 0, "
                                     "buzzer (GPIO19) 0")


def assert_one_line_usage_error(result, *words):
    """A mistake on the command line: one line naming it, argparse's status 2, no traceback."""
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and ": error: " in lines[0] and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("quota", ["-1", "nan", "inf", "1e308"])
def test_a_clip_quota_outside_the_settings_range_is_refused_and_no_clip_goes(tmp_path, quota):
    """Issue 28 item 7: the range config.json has (0 to 1000000 MB) holds on the command line."""
    old = tmp_path / "sessions" / "2026-01-01T09-00-00" / "clips" / "rep-001.mp4"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"an earlier session's replay")
    result = kneecue("run", "--source", "synthetic:valgus", "--gpio", "mock", "--state-dir", tmp_path,
                     "--clip-quota", quota)
    assert_one_line_usage_error(result, "--clip-quota", "0 to 1000000 MB", quota)
    assert old.exists()


@pytest.mark.parametrize("seconds", ["0", "-1", "nan"])
def test_calibrate_needs_1_to_10_seconds_of_standing_as_on_the_console_and_saves_nothing_else(tmp_path, seconds):
    """Issue 28 item 13: an empty window is no calibration."""
    result = kneecue("calibrate", "--source", "synthetic:stand", "--gpio", "mock", "--state-dir", tmp_path,
                     "--seconds", seconds)
    assert_one_line_usage_error(result, "--seconds", "1 to 10 s", seconds)
    assert not (tmp_path / "config.json").exists()


@pytest.mark.parametrize("threads", ["0", "-1", "100000", "two"])
def test_a_thread_count_outside_1_to_64_is_one_line_not_a_traceback(threads):
    """Issue 28 item 13."""
    assert_one_line_usage_error(kneecue("bench", "--frames", "3", "--threads", threads), "--threads", "1 to 64")


def _huge_png(path, side: int) -> None:
    """A side x side black PNG at 1 bit a pixel (about 100 KB), streamed: never in memory whole."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = (b"\0" * (1 + (side + 7) // 8)) * 1000
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(rows) for _ in range(side // 1000)) + packer.flush()
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_a_photo_of_30000_by_30000_pixels_is_refused_from_its_header_not_decoded(tmp_path):
    """Issue 28 item 13: 876 KB of PNG took 6.2 GB decoded.  (The command runs with its
    address space held to 2 GB, so decoding it could not take this machine's memory.)"""
    import resource

    photo = tmp_path / "huge.png"
    _huge_png(photo, 30000)
    two_gb = 2 << 30
    result = subprocess.run([sys.executable, "-m", "firmware_py", "analyze", str(photo)], capture_output=True,
                            text=True, timeout=60,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (two_gb, two_gb)))
    assert_one_line_error(result, "huge.png", "30000x30000", "more than the 50 MP")


def test_analyze_uses_the_defaults_unless_told_whose_thresholds_and_says_which(model_path, media, tmp_path):
    from firmware_py.core.settings import Thresholds
    from firmware_py.device.config import DeviceConfig, Profile, save_config

    strict = Thresholds(fppa_warn=1.0, fppa_alert=2.0)
    save_config(tmp_path, DeviceConfig(athlete="ana", athletes={"ana": Profile(thresholds=strict)}))
    clip = media("tfjs_bodyweight_squats_band_frontal.mp4")
    plain = kneecue("analyze", "--feet", "off", clip, "--brief", "--state-dir", tmp_path, "--model", model_path, "--drill", "sls")
    assert plain.returncode == 0 and plain.stdout.splitlines()[0].startswith("thresholds: defaults, with drill=sls")
    assert "FAIL hands_off_hips" in plain.stdout  # judged as the single-leg squat test: the hands are free
    ana = kneecue("analyze", "--feet", "off", clip, "--json", "--athlete", "ana", "--set", "check_hands_on_hips=off",
                  "--state-dir", tmp_path, "--model", model_path)
    first = json.loads(ana.stdout.splitlines()[0])["settings"]
    assert first["from"] == "athlete ana (not calibrated)" and first["set"] == {"check_hands_on_hips": "off"}
    assert first["thresholds"]["fppa_alert"] == 2.0 and first["thresholds"]["check_hands_on_hips"] is False
    reps = [json.loads(line)["rep"] for line in ana.stdout.splitlines() if line.startswith('{"rep"')]
    assert reps and not any("hands_off_hips" in r["failed"] for r in reps)
    assert_one_line_error(kneecue("analyze", clip, "--athlete", "bo", "--state-dir", tmp_path, "--model", model_path),
                          "no athlete 'bo'", "ana")


def test_a_video_cut_short_is_scored_as_far_as_it_goes_and_said_so(model_path, media, tmp_path):
    cut = tmp_path / "cut.mp4"  # an MP4 whose header promises 100 frames, cut after 60
    cut.write_bytes(media("p2s_single_leg_balance_pelvic_tilt_front_oblique.mp4").read_bytes()[:300_000])
    result = kneecue("analyze", "--feet", "off", cut, "--brief", "--model", model_path)
    assert_one_line_error(result, "ends early: 60 of the 100 frames its header promises")
    assert result.stdout.splitlines()[-1].startswith("KneeCue is a training-feedback device")  # scored anyway
    whole = kneecue("analyze", "--feet", "off", media("p2s_single_leg_balance_pelvic_tilt_front_oblique.mp4"), "--brief",
                    "--model", model_path)
    assert whole.returncode == 0 and "kneecue: 100 frames read of 100" in whole.stderr
    ts = kneecue("analyze", "--feet", "off", media("sqd_single_leg_squat_lateral_reach_frontal.mp4"), "--brief", "--model", model_path)
    assert "kneecue: 201 frames read (the container holds no frame count)" in ts.stderr


def test_model_check_on_a_truncated_model_points_to_a_good_copy_not_to_itself(model_path, tmp_path):
    cut = tmp_path / model_path.name
    cut.write_bytes(model_path.read_bytes()[:200_000])  # a download cut short: the header is fine
    result = kneecue("model", "check", cut)
    assert_one_line_error(result, "truncated or corrupt", "`kneecue model fetch` gets a good copy")
    assert "model check" not in result.stderr


def test_a_switch_answers_on_or_off_as_the_coach_typed_it(tmp_path):
    from firmware_py.console.session import ConsoleSession
    from firmware_py.device.config import DeviceConfig
    from firmware_py.device.state import Device

    session = ConsoleSession(Device(DeviceConfig(), state_dir=tmp_path))
    out = session.receive(b"set check_hands_on_hips off\r", 1.0).decode()
    assert "check_hands_on_hips = off  (on/off, default on)" in out and "was on;" in out
    out = session.receive(b"set debounce_ms 150\r", 2.0).decode()
    assert "debounce_ms = 150 ms" in out and "was 100 ms;" in out


def test_the_demo_runs_the_live_loop_on_the_shipped_clip_with_nothing_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KNEECUE_")}  # a fresh clone: models/ only
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-m", "firmware_py", "demo", "--fast"], capture_output=True,
                            text=True, env=env, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("KneeCue demo: the live loop on three squats from github.com/benrandoing20/LNewCo")
    assert "  0.00 s  ● green  ○ amber  ○ red  buzzer quiet  ok" in lines  # what the athlete sees
    assert lines[-1].startswith("On a Pi:") and "215 frames scored" in result.stdout
    assert "3 reps (3 both): 3 passed, 0 failed" in result.stdout


def test_the_terminal_draws_a_buzz_and_says_why():
    import io

    from firmware_py.system.terminal import TerminalLights

    out = io.StringIO()
    TerminalLights(out).write({"t": 1.5, "pattern": "alert", "reasons": ["knee_valgus_left"],
                               "outputs": {"green": 0, "amber": 0, "red": 1, "buzzer": 1}})
    assert out.getvalue() == "  1.50 s  ○ green  ○ amber  ● red  buzzer BUZZ   alert: knee valgus left\n"


def test_a_clip_filmed_upside_down_scores_as_the_upright_one_when_told(model_path, media, tmp_path):
    from firmware_py.system.cv import cv2

    upright = media("sqd_single_leg_knee_collapse_annotated.png")
    flipped = tmp_path / "upside_down.png"
    cv2.imwrite(str(flipped), cv2.rotate(cv2.imread(str(upright)), cv2.ROTATE_180))

    def fppa_right(path, *extra):
        result = kneecue("analyze", "--feet", "off", path, "--json", *extra, "--model", model_path)
        assert result.returncode == 0, result.stderr
        frame = next(json.loads(x) for x in result.stdout.splitlines() if x.startswith('{"frame"'))
        return frame["metrics"]["fppa_right"]

    expected = fppa_right(upright)
    assert expected > 20.0  # the collapsing right knee
    assert fppa_right(flipped, "--rotate", "180") == pytest.approx(expected, abs=1.0)
    bench = kneecue("bench", "--frames", "15", "--rotate", "90", "--json", "--model", model_path)
    assert bench.returncode == 0 and "rotate" in json.loads(bench.stdout)["stages"]  # its cost, printed


def test_analyze_runs_the_devices_foot_model_unless_told(media, model_path):
    """Issue 26: a clip is explained the same way everywhere, so analyze's default foot
    model is the device's (lite), and --feet off turns it off."""
    photo = media("sqd_single_leg_knee_collapse_annotated.png")
    by_default = kneecue("analyze", photo, "--json", "--model", model_path)
    assert by_default.returncode == 0, by_default.stderr
    frames = [json.loads(line) for line in by_default.stdout.splitlines() if '"frame"' in line]
    assert frames and all("feet" in f for f in frames)
    off = kneecue("analyze", photo, "--json", "--feet", "off", "--model", model_path)
    assert not any("feet" in json.loads(line) for line in off.stdout.splitlines() if '"frame"' in line)
