"""The guided procedures' notices (``core.procedures.KINDS``) in the coach's words.

One function per kind, each reading only the notice's data, so a notice a script
got as JSON says the same as the line the coach read.
"""

from __future__ import annotations

from typing import Any, Callable

from firmware_py.core.ankle import ASYMMETRY_DEG, LUNGE_START_DEG, SIDE_MAX_FRONTALITY
from firmware_py.core.procedures import Notice
from firmware_py.core.rep import Rep
from firmware_py.wording.reps import deg, rep_result

__all__ = ["notice_text", "WORDS", "calibration_problem"]

SCREEN = "  (a training screen, not a diagnosis)"


def notice_text(notice: Notice) -> str:
    """The notice as the coach reads it (an unknown kind: its data, never nothing)."""
    words = WORDS.get(notice.kind)
    return words(notice.data) if words else f"{notice.kind.replace('_', ' ')}: {notice.data}"


# --- calibration --------------------------------------------------------------

def calibration_problem(data: dict[str, Any]) -> str:
    """Why a calibration window restarted ("not trusted (left ankle unseen)")."""
    problem = data["problem"]
    words = problem.replace("_", " ")
    if problem != "not_trusted":
        return words
    unseen, odd = data.get("unseen") or [], data.get("implausible") or []
    if unseen:
        why = ", ".join(n.replace("_", " ") for n in unseen) + " unseen"
    elif odd:
        why = " and ".join(odd) + " leg's lengths implausible"
    else:
        why = "torso not seen"
    return f"{words} ({why})"


def _calibration_failed(data: dict[str, Any]) -> str:
    why = (data["problem"] or "not enough quiet standing").replace("_", " ")
    return f"calibration failed ({why}) after {data['timeout_s']:g} s; nothing changed"


def _calibrated(data: dict[str, Any]) -> str:
    cal = data["calibration"]
    return (f"calibrated: camera roll {cal['roll_deg']:+.1f}°, standing FPPA left "
            f"{deg(cal.get('fppa_baseline_left'))}, right {deg(cal.get('fppa_baseline_right'))}; "
            f"in use now, 'save' keeps it")


# --- the single-leg squat test ------------------------------------------------

def _sls_ignored(data: dict[str, Any]) -> str:
    leg = _rep(data["ignored"]).leg
    where = "both feet" if leg == "both" else f"the {leg} leg"
    return f"  a rep on {where} is not counted: this test is on the {data['leg']} leg"


def _rep(value: Any) -> Rep:
    """A notice's rep: typed from the loop, a dict from JSON (a script's, a file's)."""
    return value if isinstance(value, Rep) else Rep.from_dict(value)


def _how(data: dict[str, Any], missing: str) -> str:
    """How a test ended, with why when it stopped by itself."""
    return f"stopped: no {missing} for {data['idle_s']:g} s" if data["state"] == "stopped" else data["state"]


def _sls_finished(data: dict[str, Any]) -> str:
    leg, results = data["leg"], [_rep(r) for r in data["results"]]
    complete = data["counted"] == data["reps"]
    verdict = data["verdict"].upper() if complete else data["verdict"]
    lines = [f"test {_how(data, leg + '-leg rep')}: {leg} leg {verdict}, {data['passed']} of {data['counted']} "
             f"reps passed" + (f" (a pass needs {data['needed']} of {data['reps']})" if complete else "")]
    lines += [f"  rep {i + 1}: {rep_result(r)}" for i, r in enumerate(results)]
    failures = sorted({c for r in results for c in r.failed})
    if failures:
        lines.append("  faults seen: " + ", ".join(c.replace("_", " ") for c in failures))
    return "\n".join(lines + [SCREEN])


# --- the ankle test -----------------------------------------------------------

def _ankle_try(data: dict[str, Any]) -> str:
    lunge = data["result"]
    if lunge["heel_down"] is not None:
        text = f"shin {lunge['heel_down']:.1f}° with the heel down"
    elif data["heel_watched"]:
        text = f"the heel was never down past {LUNGE_START_DEG:g}° (peak {lunge['peak']:.1f}°)"
    else:
        text = f"shin {lunge['peak']:.1f}° (heel not watched)"
    if lunge["heel_lift"] is not None:
        text += f"; heel lifted at {lunge['heel_lift']:.1f}°"
    return f"  try {data['try']}/{data['attempts']}: {text}"


def _ankle_result(data: dict[str, Any]) -> str:
    shin = data["shin_deg"]
    if not data["side_view"]:
        return "no side view of the athlete was seen"
    if shin is None:
        return "no lunge with the heel down was seen" if data["tries"] else "no lunge was seen"
    line = (f"shin {shin:.1f}° from vertical at the deepest lunge with the heel down: "
            f"{'PASS' if data['verdict'] == 'pass' else 'RESTRICTED'} (restricted below {data['threshold_deg']:g}°)")
    if not data["heel_watched"]:
        line += "; heel not watched (foot model off): a lifted heel would read deeper"
    return line


def _ankle_finished(data: dict[str, Any]) -> str:
    leg, tries = data["leg"], data["tries"]
    lines = [f"ankle test {_how(data, 'lunge')}: {leg} leg, {tries} of {data['attempts']} tries; "
             f"{_ankle_result(data)}"]
    if data["heel_lifts"]:
        lines.append(f"  the heel lifted in {data['heel_lifts']} of {tries} tries")
    difference = data["difference_deg"]
    if difference is not None:
        other = "right" if leg == "left" else "left"
        note = " (more than the smallest real change)" if abs(difference) >= ASYMMETRY_DEG else ""
        lines.append(f"  {leg} - {other}: {difference:+.1f}°{note}")
    return "\n".join(lines + [SCREEN])


WORDS: dict[str, Callable[[dict[str, Any]], str]] = {
    "calibration_started": lambda d: "calibrating: stand still on both feet, facing the camera, arms relaxed",
    "calibration_countdown": lambda d: f"  {d['countdown']}…",
    "calibration_measuring": lambda d: "  hold still…",
    "calibration_problem": lambda d: f"  {calibration_problem(d)}: starting over",
    "calibration_failed": _calibration_failed,
    "calibration_cancelled": lambda d: "calibration cancelled; nothing changed",
    "calibration_done": _calibrated,
    "sls_started": lambda d: (f"single-leg squat test, {d['leg']} leg, {d['reps']} reps: hands on hips, stand on "
                              f"the {d['leg']} leg, squat about halfway down and back up"),
    "sls_ignored": _sls_ignored,
    "sls_rep": lambda d: f"  rep {d['rep']}/{d['reps']}: {rep_result(_rep(d['result']))}",
    "sls_finished": _sls_finished,
    "ankle_started": lambda d: (f"ankle test (knee to wall), {d['leg']} leg: camera at the athlete's side; "
                                f"{d['leg']} foot forward, heel down; bend the knee toward the wall as far as the "
                                f"heel stays down, then stand up ({d['attempts']} tries)"),
    "ankle_try": _ankle_try,
    "ankle_refused": lambda d: (f"ankle test refused: it needs the camera at the athlete's side, and this view "
                                f"looks face-on (width/torso {d['frontality']:.2f}; side-on reads below "
                                f"{SIDE_MAX_FRONTALITY:g}); nothing recorded"),
    "ankle_finished": _ankle_finished,
}
