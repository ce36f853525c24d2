"""When sessions start and end: presence and time in, changes out."""

from firmware_py.core.sessions import END, START, SessionParams, SessionTracker


def kinds(changes):
    return [(c.kind, c.reason) for c in changes]


def test_a_session_starts_when_an_athlete_comes_into_view_and_ends_after_a_quiet_spell():
    tracker = SessionTracker(SessionParams(quiet_s=60))
    assert tracker.update(False, 0.0) == []
    assert kinds(tracker.update(True, 1.0)) == [(START, "athlete in view")]
    assert tracker.update(True, 2.0) == []
    assert tracker.update(False, 30.0) == []  # a short break (water, a word with the coach)
    assert tracker.update(True, 40.0) == []
    assert tracker.update(False, 99.0) == []  # 59 s since last seen
    assert kinds(tracker.update(False, 100.0)) == [(END, "quiet")]
    assert not tracker.active
    assert kinds(tracker.update(True, 200.0)) == [(START, "athlete in view")]


def test_the_coach_ends_a_session_and_the_next_waits_for_the_athlete_to_leave_and_return():
    tracker = SessionTracker()
    tracker.update(True, 0.0)
    assert kinds(tracker.end(5.0)) == [(END, "console")]
    assert tracker.end(6.0) == []  # nothing to end
    assert tracker.update(True, 7.0) == []  # still standing there: not a new session
    assert tracker.update(False, 8.0) == []
    assert kinds(tracker.update(True, 9.0)) == [(START, "athlete in view")]


def test_the_coach_starts_a_new_session_closing_the_one_under_way():
    tracker = SessionTracker()
    assert kinds(tracker.start(0.0)) == [(START, "console")]  # nobody in view yet: fine
    tracker.update(True, 1.0)
    assert kinds(tracker.start(2.0)) == [(END, "console"), (START, "console")]
    assert tracker.active
    assert kinds(tracker.end(3.0, "stopped")) == [(END, "stopped")]
