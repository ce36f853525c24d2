"""Session records from `kneecue run` on real footage, the report a coach opens, and power cuts.

The woman's clip has four single-leg reps (left, right, left, right); with the
default settings all four fail (her hands leave her hips), so each has a clip.
"""

from __future__ import annotations

import base64
import html.parser
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from firmware_py.records import clips
from firmware_py.records.ring import ClipRate
from firmware_py.records.sessionfile import read_session, session_files
from firmware_py.system.cv import cv2

CLIP = "sqd_single_leg_squat_woman_frontal.mp4"
LEGS = ["left", "right", "left", "right"]
PLOTS = 4  # left/right comparison, FPPA, knee-medial offset, pelvic drop


def kneecue(*args, timeout=180):
    return subprocess.run([sys.executable, "-m", "firmware_py", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout)


def run_args(model_path, clip, state):
    return [sys.executable, "-m", "firmware_py", "run", "--source", str(clip), "--gpio", "mock",
            "--model", str(model_path), "--state-dir", str(state)]


@pytest.fixture(scope="module")
def recorded(model_path, media, tmp_path_factory):
    """One full `kneecue run` on the clip, then `kneecue report` on its state directory."""
    folder = tmp_path_factory.mktemp("recorded")
    done = subprocess.run(run_args(model_path, media(CLIP), folder / "state"), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr
    report = kneecue("report", folder / "state", "--out", folder / "report")
    assert report.returncode == 0, report.stderr
    (session,) = session_files(folder / "state")
    (page,) = (folder / "report").glob("*.html")
    return read_session(session), page


class Page(html.parser.HTMLParser):
    """The parts of a report a test looks at."""

    def __init__(self, text: str):
        super().__init__()
        self.rows, self.images, self.stills, self.links, self.text = [], [], [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "rep" in (a.get("class") or "").split():
            self.rows.append(a)
        elif tag == "img" and a.get("class") == "still":
            self.stills.append(a)
        elif tag == "img":
            self.images.append(a)
        elif tag == "a" and a.get("class") == "clip":
            self.links.append(a["href"])

    def handle_data(self, data):
        self.text.append(data)


def test_the_report_names_reps_per_leg_embeds_plots_and_links_every_failed_reps_clip(recorded, media):
    session, page_path = recorded
    page = Page(page_path.read_text())
    assert [r["data-leg"] for r in page.rows] == LEGS
    assert "Reps per leg: 2 left, 2 right." in "".join(page.text)
    failed = [r for r in page.rows if "fail" in r["class"].split()]
    assert len(failed) == len([r for r in session.reps if r["failed"]]) == 4
    assert len(page.images) == PLOTS
    assert len(page.stills) == len(failed)  # each failed rep at its deepest
    for img in page.images + page.stills:
        kind, _, data = img["src"].partition(",")
        assert kind == "data:image/png;base64"
        assert base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n")
    assert len(page.links) == len(failed)
    fps = cv2.VideoCapture(str(media(CLIP))).get(cv2.CAP_PROP_FPS)
    for href, rep in zip(page.links, session.reps):
        # the link is the H.264 copy browsers play, made beside the report from the device's clip
        clip = page_path.parent / href
        assert clip.parent.name == f"{session.id}-clips" and clip.name == session.clip_path(rep["index"]).name
        cap = cv2.VideoCapture(str(clip))
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC)).to_bytes(4, "little").decode().lower()
        assert fourcc in ("avc1", "h264"), fourcc
        count = 0
        while cap.read()[0]:
            count += 1
        # from PRE_S before the rep's first frame to its last, every frame scored (a file is
        # scored frame by frame), of which the replay ring keeps ~15 a second (ring.ClipRate,
        # from the clip's frame 0): three in five of this 25 fps clip
        first = next(i for i in range(rep["start_frame"] + 1) if i / fps >= rep["start_t"] - clips.PRE_S - 1e-6)
        rate = ClipRate()
        kept = [i for i in range(rep["end_frame"] + 1) if rate.take(i / fps) and i >= first]
        assert count == len(kept) == session.clips[rep["index"]]["frames"], href
        original = cv2.VideoCapture(str(session.clip_path(rep["index"])))
        assert original.get(cv2.CAP_PROP_FRAME_COUNT) == count


def test_the_report_renders_in_headless_chromium_with_the_table_and_every_plot(recorded, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("Debian's chromium is not installed (bash .ci/run installs it)")
    _, page_path = recorded
    # A copy beside the report (same links) with a probe that records, after load,
    # whether each image decoded: the report itself carries no script.
    probe = page_path.with_name("probe.html")
    probe.write_text(page_path.read_text().replace("</body>", """<script>
window.addEventListener('load', () => {
  document.body.dataset.images = [...document.querySelectorAll('img.plot')].map(i => i.complete ? i.naturalWidth : 0).join(' ');
  document.body.dataset.stills = [...document.querySelectorAll('img.still')].map(i => i.complete ? i.naturalWidth : 0).join(' ');
  const videos = [...document.querySelectorAll('video')];
  Promise.all(videos.map(v => v.readyState >= 1 ? null : new Promise(done => {
    v.addEventListener('loadedmetadata', done); v.addEventListener('error', done); })))
    .then(() => { document.body.dataset.videos = videos.map(v => v.error ? 'error' : v.videoWidth).join(' '); });
});</script></body>"""))
    # --no-sandbox: CI runs as root; the rest keep Chromium off a network this machine does not have.
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--virtual-time-budget=10000",
                           "--user-data-dir=" + str(tmp_path / "profile"), "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    dom = Page(done.stdout)
    assert [r["data-leg"] for r in dom.rows] == LEGS
    widths = [int(w) for w in done.stdout.split('data-images="')[1].split('"')[0].split()]
    assert len(widths) == PLOTS and all(w >= 600 for w in widths), widths
    stills = [int(w) for w in done.stdout.split('data-stills="')[1].split('"')[0].split()]
    assert stills == [480] * 4, stills  # each failed rep's still decoded, 480 px wide as the 1280x720 clip allows
    # the replay clips play in the page: the browser decoded each one's size
    videos = done.stdout.split('data-videos="')[1].split('"')[0].split()
    assert videos == ["480"] * 4, videos


def test_a_power_cut_at_random_points_keeps_every_completed_rep(tmp_path):
    """SIGKILL `kneecue run` at random moments while it writes: each session file reads
    back, holds every rep the log said was recorded, and agrees with the script.  The
    athlete is the scripted one (fakes.synthetic), looped and unpaced: a dozen reps a
    second, each failed one with a clip, so a kill lands mid-write far more often than
    on footage, and no model is loaded."""
    from firmware_py.fakes.synthetic import SCRIPTS

    period = len(SCRIPTS["valgus"][1]().frames)  # frames per pass of the script
    once = tmp_path / "once"
    done = subprocess.run([sys.executable, "-m", "firmware_py", "run", "--source", "synthetic:valgus", "--gpio",
                           "mock", "--state-dir", str(once)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    base = [(r["leg"], r["start_frame"], r["end_frame"], r["failed"]) for r in read_session(session_files(once)[0]).reps]
    assert [b[3] for b in base] == [[], ["knee_inward"], []]

    def reference(n):  # the same three reps, pass after pass
        return [(leg, start + period * (i // 3), end + period * (i // 3), failed)
                for i in range(n) for leg, start, end, failed in [base[i % 3]]]

    rng = random.Random()
    kills = []
    for attempt in range(6):
        state = tmp_path / f"state{attempt}"
        proc = subprocess.Popen([sys.executable, "-m", "firmware_py", "run", "--source", "synthetic:valgus", "--loop",
                                 "--gpio", "mock", "--state-dir", str(state)], stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        delay = rng.uniform(0.8, 2.5)
        while time.monotonic() - started < delay and proc.poll() is None:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        acknowledged = [line for line in proc.stderr.read().splitlines() if line.endswith(" recorded")]
        kills.append((round(delay, 2), len(acknowledged)))
        files = session_files(state)
        if not files:  # killed before anyone was in view
            assert not acknowledged
            continue
        (path,) = files
        session = read_session(path)
        assert session.damaged == 0, delay
        got = [(r["leg"], r["start_frame"], r["end_frame"], r["failed"]) for r in session.reps]
        assert got == reference(len(got)), delay
        assert len(got) >= len(acknowledged), (delay, acknowledged)
        for rep in session.reps:  # a clip is either whole (it decodes) or absent
            clip = session.clip_path(rep["index"])
            if clip is not None:
                assert cv2.VideoCapture(str(clip)).read()[0], clip
    print("kill points (s, reps acknowledged):", kills)
    assert any(n for _, n in kills), f"no kill landed after a rep: {kills}"


def test_analyze_with_report_gives_a_coach_the_same_page_from_a_phone_clip(model_path, media, tmp_path):
    clip = "sqd_single_leg_sit_to_stand_good_then_valgus_frontal.mp4"
    out = tmp_path / "phone"
    done = kneecue("analyze", "--feet", "off", media(clip), "--brief", "--report", out, "--model", model_path)
    assert done.returncode == 0, done.stderr
    assert "1 reps (1 right): 0 passed, 1 failed" in done.stdout
    page = Page((out / "report.html").read_text())
    assert [r["data-leg"] for r in page.rows] == ["right"] and len(page.images) == PLOTS
    (href,) = page.links
    assert (out / href).is_file() and href == "clips/rep-001.web.mp4"  # the browser copy, beside the clip
    # the session holds what the athlete would have been shown, as a run's does (one frame path)
    cues = read_session(session_files(out)[0]).cues
    assert cues and cues[0]["frame"] == 0 and "alert" in {c["pattern"] for c in cues}, cues[:5]
    again = kneecue("analyze", "--feet", "off", media(clip), "--brief", "--report", out, "--model", model_path)
    assert again.returncode == 1 and "already holds a session" in again.stderr
