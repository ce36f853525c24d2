"""The session report's numbers: the same working-leg peaks the console tells."""

from __future__ import annotations

import re

from firmware_py.core.reps import Peak, Rep
from firmware_py.records.report import render
from firmware_py.records.sessionfile import SessionWriter, read_session
from firmware_py.wording import rep_line


def _rep(i: int, leg: str, fppa_left: float, fppa_right: float) -> Rep:
    return Rep(i, leg, 10 * i, i * 1.0, 10 * i + 4, i + 0.4, 10 * i + 8, i + 0.8, 0.3,
               peaks={"fppa_left": Peak(fppa_left, 10 * i + 4, i + 0.4),
                      "fppa_right": Peak(fppa_right, 10 * i + 5, i + 0.5)})


def test_each_rep_shows_its_working_legs_peak_in_the_report_and_on_the_console(tmp_path):
    # A left-leg rep whose free (right) leg read more; a two-footed rep; a right-leg rep
    # whose free leg was never measured.
    reps = [_rep(0, "left", 7.5, 19.0), _rep(1, "both", 6.0, 13.5), _rep(2, "right", 0.0, 11.0)]
    reps[2].peaks["fppa_left"] = Peak()
    writer = SessionWriter(tmp_path / "s")
    writer.write({"type": "session", "id": "s", "athlete": "ana"}, sync=True)
    for rep in reps:
        writer.write({"type": "rep", **rep.to_dict()}, sync=True)
    writer.close()

    html = render(read_session(writer.path), tmp_path)
    rows = re.findall(r'<tr class="rep [a-z]+" data-leg="(\w+)">(.*?)</tr>', html)
    # columns: rep, leg, verdict, failed on, time, depth, peak FPPA, ...
    shown = [re.findall(r"<td[^>]*>(.*?)</td>", cells)[6] for _, cells in rows]
    assert shown == ["+7.5", "+13.5", "+11.0"]
    assert [rep.working_peak("fppa") for rep in reps] == [7.5, 13.5, 11.0]
    for rep, value in zip(reps, shown):
        if rep.leg == "both":  # the console words a two-footed rep by what judged it: the separation
            assert "knee separation" in rep_line(rep) and "FPPA" not in rep_line(rep)
        else:
            assert f"FPPA {value}°" in rep_line(rep)


def test_gated_stretches_are_spans_with_their_reason_not_gaps():
    from firmware_py.records.plots import gated_spans

    t = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    deep = {"fppa_left": "thigh_foreshortened"}
    gated = [None, deep, deep, None, {"fppa_left": "two_footed"}, {"fppa_left": "not_seen"}, None]
    # not_seen stays a gap: nothing was there to read
    assert gated_spans(t, gated, "fppa_left") == [(0.1, 0.3, "thigh_foreshortened"), (0.4, 0.5, "two_footed")]
    assert gated_spans(t, gated, "fppa_right") == []


def test_a_finished_ankle_test_is_recorded_in_the_session_and_shown_in_the_report(tmp_path):
    from scripted import clock, describe, frames, outcome

    from firmware_py.core.sessions import SessionParams
    from firmware_py.records.recorder import Recorder

    recorder = Recorder(tmp_path, describe=describe, source="test", lossless=True, clock=clock(),
                        params=SessionParams(quiet_s=1.0))
    stream = list(frames(30))
    for frame, result in stream[:20]:
        recorder.on_frame(outcome(frame, result))
    recorder.test({"test": "ankle", "state": "complete", "leg": "left", "verdict": "restricted",
                   "shin_deg": 31.2, "threshold_deg": 35.0, "tries": 3, "attempts": 3, "heel_watched": True,
                   "heel_lifts": 1, "difference_deg": -6.5, "lunges": []})
    for frame, result in stream[20:]:
        recorder.on_frame(outcome(frame, result))
    recorder.close()
    session = read_session(recorder.sessions[0])
    assert [(t["test"], t["leg"], t["verdict"], t["frame"]) for t in session.tests] == [
        ("ankle", "left", "restricted", 19)]
    html = render(session, tmp_path)
    row = re.search(r"<h2>Tests</h2>.*?</table>", html, re.S).group(0)
    assert "ankle (knee to wall)" in row and "RESTRICTED" in row
    assert "shin 31.2° with the heel down (restricted below 35°); 3 of 3 tries; heel lifted in 1" in row
    assert "left/right difference -6.5°" in row


def test_replay_text_fits_a_portrait_clip_and_leaves_the_bottom_to_the_video_controls():
    import numpy as np

    from firmware_py.records import clips

    small = np.zeros((320, 180, 3), np.uint8)  # a phone clip, stored at 180 x 320
    pose = np.array([[90.0, 200.0 + 4 * i, 0.9] for i in range(17)])  # rows 200-264
    title, reason = "rep 12 left leg  FAIL", "hands off hips, trunk sway, balance lost, knee inward"
    drawn = clips.draw(small, (180, 320), clips.Overlay(0, 1.0, pose, 14.0, None, 3.0, "alert"), title, reason)
    plain = clips.draw(small, (180, 320), None, "", "")
    # every word of the reason is drawn (wrapped, not cut), and nothing in the bottom 40 rows
    lines = clips._wrap(reason, 180 - 8)
    assert " ".join(lines) == reason and len(lines) >= 2
    assert all(clips.cv2.getTextSize(line, clips.cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)[0][0] <= 172 for line in lines)
    assert not np.any(drawn[280:] != plain[280:])
    # in the frame: one band of text per wrapped line (title, reason, numbers), then none
    numbers = "FPPA L +14 R - deg   pelvic drop +3 deg   t 1.00 s"
    count = sum(len(clips._wrap(text, 180 - 8)) for text in (title, reason, numbers))
    changed = np.any(drawn != plain, axis=(1, 2))
    assert all(changed[14 + 16 * j - 9:14 + 16 * j + 2].any() for j in range(count))
    assert not changed[14 + 16 * count - 9:190].any()


def test_the_report_reads_as_a_coach_reads_it(tmp_path):
    rep = _rep(0, "left", 14.0, 2.0)  # the peak crossed the alert, yet the rep passed
    writer = SessionWriter(tmp_path / "s")
    writer.write({"type": "session", "id": "s", "athlete": "ana",
                  "thresholds": {"fppa_alert": 12.0, "debounce_ms": 100.0, "check_hands_on_hips": True,
                                 "view": "front"}}, sync=True)
    writer.write({"type": "rep", **rep.to_dict()}, sync=True)
    writer.close()
    html = render(read_session(writer.path), tmp_path)
    assert "fppa_alert 12 deg, debounce_ms 100 ms, check_hands_on_hips on, view front" in html
    assert "Rep 1 passed though the peak FPPA reached the alert (12°): a fault counts only once it has " \
           "lasted 100 ms" in html
    assert html.index("<h2>Over time</h2>") < html.index("Thresholds at the start")


def test_each_failed_rep_has_a_still_at_its_deepest_with_the_feet_drawn(tmp_path):
    import numpy as np
    from scripted import FEET, a_rep, frames
    from test_recorder import record

    from firmware_py.records.report import still_png
    from firmware_py.system.cv import cv2

    reps = {40: a_rep(0, 20, 40, ("knee_inward",)), 70: a_rep(1, 55, 70)}
    recorder, problems = record(tmp_path, frames(90, reps=reps, feet=True))
    session = read_session(recorder.sessions[0])
    png = still_png(session, session.reps[0])
    assert problems == [] and png is not None and still_png(session, session.reps[1]) is None  # passed: no clip
    still = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    # the rep's bottom is frame 30; the scripted frames are grey levels of 3 x their index
    assert abs(int(np.median(still[100:140, 20:60])) - 90) <= 6
    # the feet: the left foot's heel -> toe line, scaled as the replay frame, in the left leg's colour
    assert still.shape[:2] == (360, 480)  # the 640x480 stream kept at its longest side 480
    x, y = ((FEET[0, :2] + FEET[2, :2]) / 2 * 480 / 640).astype(int)
    assert tuple(still[y, x]) != tuple(still[100, 40])
    html = render(session, tmp_path)
    assert "<h2>The failed reps at their deepest</h2>" in html and "rep 1, left leg, at its deepest (frame 30)" in html


def test_a_copied_session_names_no_file_outside_its_folder_and_the_page_goes_only_to_out(tmp_path, caplog):
    """Issue 28 item 2: an id that is a path, and clip lines naming files elsewhere (a
    coach's own video beside the session, an absolute path), are not trusted."""
    import os

    import numpy as np

    from firmware_py import cli
    from firmware_py.records import clips

    laptop, out = tmp_path / "laptop", tmp_path / "out"
    victim = laptop / "victim"
    clips.write_clip(victim / "private.mp4", (np.full((48, 64, 3), 40 * i, np.uint8) for i in range(5)), 15.0)
    hostile = {"abs": (str(tmp_path / "x" / "ABS_WRITE"), str(victim / "private.mp4")),
               "climb": (os.path.relpath(tmp_path / "x" / "ESCAPED", out), "../victim/private.mp4")}
    for name, (session_id, clip) in hostile.items():
        writer = SessionWriter(laptop / name)
        writer.write({"type": "session", "id": session_id, "athlete": "ana"}, sync=True)
        rep = _rep(0, "left", 18.0, 2.0)
        rep.failed = ("knee_inward",)
        writer.write({"type": "rep", **rep.to_dict(), "index": 0, "clip": clip}, sync=True)
        writer.write({"type": "clip", "rep": 0, "path": clip, "frames": 5, "first_frame": 0, "last_frame": 4})
        writer.close()
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}

    assert cli.main(["report", str(laptop), "--out", str(out)]) == 0
    assert not (tmp_path / "x").exists()
    new = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p not in before)
    assert new == ["out", "out/abs.html", "out/climb.html"]  # the folder's name, only under --out
    assert {p: p.stat().st_mtime_ns for p in before} == before  # nothing read was touched
    for page in ("abs", "climb"):
        html = (out / f"{page}.html").read_text()
        assert "private" not in html and 'class="still"' not in html and "<video" not in html
        assert "not read: its clip line names a file outside the session&#39;s folder" in html
    assert caplog.text.count("outside the session's folder: not read") == 2  # said on the terminal
