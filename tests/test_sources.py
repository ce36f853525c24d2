"""Frame sources: RGB out whatever OpenCV decodes, honest timestamps, clear errors."""

from __future__ import annotations

import time

import numpy as np
import pytest

from firmware_py.errors import SourceOpenError
from firmware_py.sources import make_source
from firmware_py.sources.opencv import StillImage, VideoFile, Webcam
from firmware_py.sources.picam import PiCamera
from firmware_py.system.cv import cv2


def write_clip(path, frames=12, fps=30.0, size=(64, 48)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        img[:, :, 2] = 200  # BGR: red
        img[:4, :4] = i * 10  # frame marker
        writer.write(img)
    writer.release()
    return path


def test_still_image_arrives_as_rgb(tmp_path):
    bgr = np.zeros((20, 30, 3), np.uint8)
    bgr[:, :, 0] = 255  # blue in OpenCV's order
    cv2.imwrite(str(tmp_path / "blue.png"), bgr)
    with make_source(str(tmp_path / "blue.png")) as source:
        frames = list(source)
    assert len(frames) == 1
    assert frames[0].rgb.shape == (20, 30, 3)
    assert tuple(frames[0].rgb[0, 0]) == (0, 0, 255)


def test_video_frames_in_order_with_media_time(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", frames=12, fps=30.0)
    with VideoFile(clip) as source:
        frames = list(source)
    assert [f.index for f in frames] == list(range(12))
    assert frames[5].pts == pytest.approx(5 / 30.0)
    assert frames[0].rgb[20, 20, 0] > 150 and frames[0].rgb[20, 20, 2] < 50  # red stays red
    assert all(b.t_ns >= a.t_ns for a, b in zip(frames, frames[1:]))


def test_realtime_replay_is_paced_at_the_clip_rate(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", frames=10, fps=20.0)
    start = time.monotonic()
    with VideoFile(clip, realtime=True) as source:
        frames = list(source)
    # 10 frames at 20 fps: the last is due 0.45 s after the first.
    assert time.monotonic() - start >= 0.44
    assert (frames[-1].t_ns - frames[0].t_ns) / 1e9 >= 0.44


def test_fast_replay_is_not_paced(tmp_path):
    clip = write_clip(tmp_path / "clip.avi", frames=10, fps=2.0)
    start = time.monotonic()
    assert len(list(VideoFile(clip).open())) == 10
    assert time.monotonic() - start < 4.0  # paced would take 4.5 s


@pytest.mark.parametrize("spec, words", [
    ("{tmp}/nothing.mp4", "does not exist"),
    ("{tmp}/nothing.png", "does not exist"),
    ("{tmp}/garbage.mp4", "could not be decoded"),
    ("{tmp}/garbage.jpg", "could not be decoded"),
    ("{tmp}", "is a directory, not a file"),
    ("webcam:x", "webcam:N"),
])
def test_bad_sources_say_which_and_why(tmp_path, spec, words):
    (tmp_path / "garbage.mp4").write_text("not a video")
    (tmp_path / "garbage.jpg").write_text("not an image")
    spec = spec.format(tmp=tmp_path)
    with pytest.raises(SourceOpenError, match=words) as e:
        make_source(spec).open()
    assert spec in str(e.value) or spec.startswith("webcam")


def test_absent_webcam_names_the_device():
    with pytest.raises(SourceOpenError, match=r"webcam:57.*/dev/video57"):
        Webcam(57).open()


def test_picamera_off_a_pi_says_how_to_install_it():
    with pytest.raises(SourceOpenError, match="python3-picamera2"):
        PiCamera().open()


def test_sources_close_twice(tmp_path):
    clip = write_clip(tmp_path / "clip.avi")
    source = VideoFile(clip).open()
    source.close()
    source.close()
    assert isinstance(make_source(str(clip)), VideoFile)
    assert isinstance(make_source(str(tmp_path / "a.JPG")), StillImage)


def test_a_looped_clip_starts_again_at_its_first_frame_with_time_running_on(media):
    from firmware_py.sources.opencv import VideoFile

    clip = media("sqd_single_leg_sit_to_stand_good_then_valgus_frontal.mp4")
    with VideoFile(clip).open() as once:
        count = sum(1 for _ in iter(once.read, None))
    with VideoFile(clip, loop=True).open() as looped:
        frames = [looped.read() for _ in range(count + 3)]
    assert [f.index for f in frames[count - 1:count + 2]] == [count - 1, count, count + 1]
    assert frames[count].pts > frames[count - 1].pts
    assert (frames[count].rgb == frames[0].rgb).all() and (frames[count + 2].rgb == frames[2].rgb).all()


def test_a_looped_photo_keeps_coming_paced_like_a_camera(tmp_path):
    cv2.imwrite(str(tmp_path / "photo.png"), np.zeros((20, 30, 3), np.uint8))
    start = time.monotonic()
    with make_source(str(tmp_path / "photo.png"), loop=True) as source:
        frames = [frame for frame, _ in zip(source, range(10))]
    assert [f.index for f in frames] == list(range(10))
    assert frames[-1].pts == pytest.approx(9 / 30.0)
    assert time.monotonic() - start >= 9 / 30.0 - 0.01  # not as fast as it can go


def _eleventh_and_count(source):
    eleventh, count = None, 0
    for count, frame in enumerate(source, 1):
        if count == 11:
            eleventh = frame
    return eleventh, count


def test_a_phone_clip_is_decoded_by_pyav_and_gives_the_frames_opencv_gives(media):
    phone = media("lnc_overhead_squat_frontal_good_IMG_7035.mov")  # 1080 x 1920
    with VideoFile(phone) as fast, VideoFile(phone, decoder="opencv") as plain:
        assert (fast.decoded_by, plain.decoded_by, fast.expected_frames) == ("PyAV", "OpenCV", 68)
        (a, n), (b, m) = _eleventh_and_count(fast), _eleventh_and_count(plain)  # 68 full-HD frames: not kept
    assert n == m == 68 and a.rgb.shape == b.rgb.shape == (1920, 1080, 3)
    # the same picture, up to the decoders' colour conversion
    assert np.abs(a.rgb.astype(int) - b.rgb.astype(int)).mean() < 2.0
    with VideoFile(media("sqd_single_leg_squat_woman_frontal.mp4")) as small:
        assert small.decoded_by == "OpenCV"  # 1280 x 720: OpenCV is as fast or faster


def test_a_camera_mounted_upside_down_is_turned_by_its_own_transform_and_the_rest_per_frame(monkeypatch):
    """180 costs nothing (libcamera's hflip + vflip), 90 and 270 are turned per frame, and a
    change from the console mid-stream gives upright pictures from the next frame on."""
    import fake_picamera2

    from firmware_py.sources.rotation import rotated

    scene = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)  # the athlete, upright
    cameras = fake_picamera2.install(monkeypatch, sensor=cv2.rotate(scene, cv2.ROTATE_180))
    cam = PiCamera()
    cam.turn(180)  # the setting, offered before the capture thread opens the camera
    cam.open()
    (made,) = cameras.made
    assert made.configured == 1 and made.config["transform"].hflip and made.config["transform"].vflip
    frame = cam.read()
    assert frame.turned == 180 and np.array_equal(frame.rgb, scene)  # upright off the camera
    assert rotated(frame, 180) is frame  # nothing left to do per frame

    cam.turn(0)  # the coach: `rotate 0`; the next read reconfigures the camera
    frame = cam.read()
    assert made.configured == 2 and not made.config["transform"].vflip
    assert frame.turned == 0 and np.array_equal(rotated(frame, 0).rgb, cv2.rotate(scene, cv2.ROTATE_180))

    cam.turn(90)  # the ISP cannot transpose: the camera stays as it is, the loop turns the frame
    frame = cam.read()
    assert made.configured == 2 and frame.turned == 0
    turned = rotated(frame, 90)
    assert turned.turned == 90 and np.array_equal(turned.rgb, cv2.rotate(frame.rgb, cv2.ROTATE_90_CLOCKWISE))
    cam.close()


def test_a_camera_that_cannot_be_reconfigured_is_a_lost_camera(monkeypatch):
    import fake_picamera2

    from firmware_py.errors import SourceLost

    cameras = fake_picamera2.install(monkeypatch, sensor=np.zeros((4, 6, 3), np.uint8))
    cam = PiCamera().open()
    monkeypatch.setattr(cameras, "configure", lambda self, config: (_ for _ in ()).throw(RuntimeError("busy")))
    cam.turn(180)
    with pytest.raises(SourceLost, match="could not be turned 180°: busy"):
        cam.read()  # the capture thread closes it and reopens it, turned as asked


def test_a_camera_that_fails_to_stop_is_still_closed(monkeypatch):
    """A camera gone mid-run may raise on stop(); it must be closed all the same, or
    it stays held by the process and every reopen fails."""
    import fake_picamera2

    cameras = fake_picamera2.install(monkeypatch, sensor=np.zeros((4, 6, 3), np.uint8))
    closed = []
    monkeypatch.setattr(cameras, "stop", lambda self: (_ for _ in ()).throw(RuntimeError("camera gone")))
    monkeypatch.setattr(cameras, "close", lambda self: closed.append(self))
    cam = PiCamera().open()
    with pytest.raises(RuntimeError, match="camera gone"):
        cam.close()
    assert closed == cameras.made and cam._cam is None
    cam.close()  # twice is fine


class PipeWriter:
    """Writes ``data`` into a FIFO once a reader opens it (as `cat clip > fifo` does),
    noting a reader that went away mid-stream."""

    def __init__(self, fifo, data: bytes):
        import threading

        self.fifo, self.data, self.broken = fifo, data, False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        try:
            with open(self.fifo, "wb") as out:
                out.write(self.data)
        except BrokenPipeError:
            self.broken = True

    def release(self):
        """A writer still waiting for a reader is let go (a reader opens and closes)."""
        import os

        if self.thread.is_alive():
            os.close(os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK))
        self.thread.join(5)


def kneecue_process(*args):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "firmware_py", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_analyze_reads_a_pipe_once_with_its_writer_and_refuses_a_photo_from_one(tmp_path):
    """Issue 28 item 12: analyze opened the source, closed it and opened it again, so the
    writer lost its reader and the second open waited for a writer that never came."""
    import os
    import subprocess

    fifo = tmp_path / "camera.avi"
    os.mkfifo(fifo)
    writer = PipeWriter(fifo, write_clip(tmp_path / "clip.avi", frames=12).read_bytes())
    proc = kneecue_process("analyze", fifo, "--brief")
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    finally:
        writer.release()
    assert proc.returncode == 0 and not writer.broken, err
    assert "kneecue: 12 frames read (the container holds no frame count)" in err
    photo = tmp_path / "photo.png"
    os.mkfifo(photo)
    refused = kneecue_process("analyze", photo)
    try:
        _, err = refused.communicate(timeout=30)
    finally:
        if refused.poll() is None:
            refused.kill()
            refused.communicate()
    assert refused.returncode == 1 and err.strip().splitlines() == [
        f"kneecue: error: image '{photo}' is a pipe: save the photo to a file first"]


def test_run_on_a_pipe_nobody_writes_to_stops_on_sigterm_within_2_s_and_never_loops_one(tmp_path):
    """Issue 28 item 12: the run waited for a writer inside open(2), where SIGTERM's
    handler never ran (for 10 minutes)."""
    import os
    import signal
    import threading

    fifo = tmp_path / "camera.ts"
    os.mkfifo(fifo)
    state = tmp_path / "state"
    proc = kneecue_process("run", "--source", fifo, "--gpio", "mock", "--no-record", "--state-dir", state)
    said: list[str] = []
    reader = threading.Thread(target=lambda: said.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("waiting for a writer" in line for line in said):
            time.sleep(0.05)  # until the loop is up, its capture thread waiting for a writer
        time.sleep(0.5)
        stopped = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert time.monotonic() - stopped < 2.0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        reader.join(5)
    looped = kneecue_process("run", "--source", fifo, "--loop", "--gpio", "mock", "--no-record", "--state-dir", state)
    try:
        _, err = looped.communicate(timeout=30)
    finally:
        if looped.poll() is None:
            looped.kill()
            looped.communicate()
    assert looped.returncode == 1 and err.strip().splitlines() == [
        f"kneecue: error: video '{fifo}' is a pipe, read once: --loop needs a file"]


def _phone_copy(original, path, side_by_side: tuple[int, int], frames: int = 4) -> list[np.ndarray]:
    """The first ``frames`` of a portrait clip, scaled to ``side_by_side`` (w, h), stored
    landscape (each turned 90 degrees clockwise) with a display matrix that turns it back,
    as a phone stores a portrait clip.  Returns the upright frames (RGB)."""
    from fractions import Fraction

    import av

    with av.open(str(original)) as src:
        upright = [cv2.resize(f.to_ndarray(format="rgb24"), side_by_side, interpolation=cv2.INTER_AREA)
                   for _, f in zip(range(frames), src.decode(video=0))]
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=15)
        stream.width, stream.height, stream.pix_fmt = side_by_side[1], side_by_side[0], "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "12"}
        stream.set_display_rotation(90)  # counter-clockwise, to show it: the turn undone
        for i, rgb in enumerate(upright):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE)),
                                               format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 15)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return upright


@pytest.mark.parametrize("size, decoder", [((1080, 1920), "PyAV"), ((540, 960), "OpenCV")])
def test_a_portrait_phone_clip_stored_landscape_is_upright_whichever_decoder_reads_it(media, tmp_path, size,
                                                                                       decoder):
    """Issue 28 item 9: the display rotation was applied by OpenCV (below 2 MP) but not by
    PyAV (2 MP and more), so a phone's portrait clip was scored lying on its side."""
    import av

    if not hasattr(av.video.stream.VideoStream, "set_display_rotation"):
        pytest.skip("making the rotated copy needs PyAV 17.1 or later")
    clip = tmp_path / "phone.mp4"
    upright = _phone_copy(media("lnc_overhead_squat_frontal_good_IMG_7035.mov"), clip, size)
    with VideoFile(clip) as video:
        got = [f.rgb for f in video]
        assert video.decoded_by == decoder
    assert [g.shape for g in got] == [(size[1], size[0], 3)] * len(upright)
    for mine, theirs in zip(got, upright):
        assert np.abs(mine.astype(int) - theirs).mean() < 4  # the same picture, not only its shape


def test_run_on_a_pipe_that_never_decodes_is_one_line_and_exit_1(tmp_path):
    """Not a success: the loop ended because its source could not be read, and said so
    once (it printed the reason, then exited 0)."""
    import os
    import threading

    fifo = tmp_path / "camera.ts"
    os.mkfifo(fifo)

    def write_garbage():
        with open(fifo, "wb") as out:
            out.write(b"this is no video stream\n" * 4000)
    writer = threading.Thread(target=write_garbage, daemon=True)
    writer.start()
    proc = kneecue_process("run", "--source", fifo, "--gpio", "mock", "--no-record", "--state-dir", tmp_path / "s")
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    errors = [line for line in err.splitlines() if "error" in line]
    assert proc.returncode == 1 and len(errors) == 1 and str(fifo) in errors[0], err
