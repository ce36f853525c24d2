"""A rep and the fault pattern it fits, in the coach's words (one line each)."""

from __future__ import annotations

from firmware_py.core.evidence import uncertainty
from firmware_py.core.rep import Rep

__all__ = ["PATTERN_UNCLEAR", "PATTERN_WORDS", "deg", "pattern_words", "rep_line", "rep_result"]

# The lead patterns a failed rep may fit (core.faults.PATTERNS), as a coach reads them: the
# one table for the console ("fits the hip pattern (...)") and the coach's view ("lead: hip pattern (...)").
PATTERN_WORDS = {"hip": "hip pattern (pelvis drops, hip drifts out)",
                 "ankle": "ankle pattern (foot turns out, shin twists in)",
                 "feet_in": "feet pointing in (the knees follow the toes)",
                 "pronation_suspected": "pronation suspected (shin in, no turn-out)"}
PATTERN_UNCLEAR = "pattern unclear"  # a knee fault that fits none
_FITS = {"hip": "fits the ", "ankle": "fits the ", "feet_in": "fits "}  # a suspicion is said as it is


def deg(value: float | None) -> str:
    return "--" if value is None else f"{value:+.1f}°"


def _ratio(value: float | None) -> str:
    return "--" if value is None else f"{value:+.2f}"


def rep_result(rep: Rep) -> str:
    """Verdict and reasons, then the working leg's peaks and the pattern, if any.

    The depth is worded as the rep's record holds it (``Rep.to_dict``, 3 places), so
    a rep reads the same live, from a test's notice and from the session file."""
    verdict = "pass" if rep.passed else "FAIL (" + ", ".join(r.replace("_", " ") for r in rep.failed) + ")"
    if rep.leg == "both":  # two feet: judged by the knee separation (and the knees over the toes)
        sep = rep.peak("knee_separation_ratio").value
        toes = rep.working_peak("knee_over_toe")
        knees = (f"knee separation {'--' if sep is None else f'{sep:.2f}'} (narrowest)"
                 + ("" if toes is None else f", knee over toes {toes:+.2f}"))
    else:
        fppa, medial = rep.working_peak("fppa"), rep.working_peak("knee_medial")
        knees = (f"FPPA {deg(fppa)}, knee inside foot {_ratio(medial)}, "
                 f"pelvic drop {deg(rep.peak('pelvic_drop').value)}")
    line = f"{verdict}: depth {rep.to_dict()['depth']:.2f}, {knees}, trunk lean {deg(rep.peak('trunk_lean').value)}"
    pattern = pattern_words(rep)
    return f"{line}; {pattern}" if pattern else line


def rep_line(rep: Rep) -> str:
    """One rep in a line: number, leg, then ``rep_result``."""
    return f"#{rep.index + 1} {rep.leg} {rep_result(rep)}"


def pattern_words(rep: Rep) -> str:
    """The rep's fault pattern (``core.faults``) as a coach reads it, the leading one
    first, with the numbers read; "pattern unclear" and the numbers where none cleared
    its uncertainty ("" when the rep did not fail on the knee)."""
    if "knee_inward" not in rep.failed:
        return ""
    e = rep.evidence
    numbers = _numbers(e)
    if not rep.pattern:
        return PATTERN_UNCLEAR + (f" ({numbers})" if numbers else ": nothing read beside the knee")
    words = [_FITS.get(p, "") + PATTERN_WORDS.get(p, p.replace("_", " ")) for p in rep.pattern]
    return "; ".join(words) + (f" ({numbers})" if numbers else "")


def _numbers(e: dict) -> str:
    """The evidence read, each with the uncertainty a claim on it had to clear."""
    parts = []
    if e.get("pelvic_drop") is not None:
        parts.append(f"pelvic drop {e['pelvic_drop']:+.1f}° ±{uncertainty('pelvic_drop'):.0f}")
    if e.get("hip_drift") is not None:
        parts.append(f"hip drift {e['hip_drift']:+.2f} ±{uncertainty('hip_drift'):.2f}")
    if e.get("foot_turnout_rel") is not None:
        parts.append(f"foot turned out {e['foot_turnout_rel']:+.0f}° from standing"
                     f" ±{uncertainty('foot_turnout_rel'):.0f}")
    if e.get("foot_turnout_standing") is not None:
        parts.append(f"standing turn-out {e['foot_turnout_standing']:+.0f}° ±{uncertainty('foot_turnout'):.0f}")
    if e.get("pronation_share") is not None:
        parts.append(f"shin in without turn-out {100 * e['pronation_share']:.0f}% of {e['foot_frames']} foot frames")
    return ", ".join(parts)
