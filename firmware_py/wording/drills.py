"""The drill in words: which one is judged, and why ``auto`` chose it; a running step."""

from __future__ import annotations

from typing import Any

NAMES = {"sls": "single-leg squat test", "squat": "two-footed squats", "run": "treadmill running",
         "hop": "single-leg hops and landings", "land": "drop vertical jumps", "auto": "not recognised yet"}


def evidence_words(evidence: dict[str, Any]) -> str:
    if "steps" in evidence:
        return f"{evidence['steps']} alternating steps at {evidence['cadence_spm']} steps/min"
    if "held_s" in evidence:
        return f"one leg held {evidence['held_s']:.1f} s"
    if "landings" in evidence:
        return f"{evidence['landings']} landings in a few seconds"
    if "depth" in evidence:
        return f"a two-footed squat {evidence['depth']:.2f} leg lengths deep"
    return "?"


def drill_words(drill: str, decided: Any = None) -> str:
    """E.g. 'run (treadmill running; auto: 8 alternating steps at 187 steps/min, sure)'."""
    if drill == "auto":
        return "auto: watching (until a drill is recognised, only the knees are judged)"
    why = ""
    if decided is not None:
        sure = "sure" if decided.confidence >= 0.99 else "likely"
        why = f"; auto: {evidence_words(decided.evidence)}, {sure}"
    return f"{drill} ({NAMES.get(drill, drill)}{why})"


def step_line(step: Any) -> str:
    """One running step as the console and ``analyze`` list it."""
    m = step.metrics

    def num(key: str, fmt: str) -> str:
        return "–" if m.get(key) is None else format(m[key], fmt)
    verdict = "ok" if not step.failed else "over: " + ", ".join(step.failed) + (" (cued)" if step.cued else "")
    return (f"step {step.index + 1:>3}  {step.side:<5} contact {step.contact_frame} midstance {step.midstance_frame}  "
            f"pelvic drop {num('pelvic_drop', '+.1f')}°  hip add {num('hip_adduction', '+.1f')}°  "
            f"trunk {num('trunk_lean', '+.1f')}°  FPPA {num('fppa', '+.1f')}°  knee gap {num('knee_gap', '.2f')}  "
            f"{verdict}")


def landing_line(landing: Any) -> str:
    """One landing as the console and ``analyze`` list it."""
    m = landing.metrics

    def num(key: str, fmt: str) -> str:
        return "–" if m.get(key) is None else format(m[key], fmt)
    parts = [f"knee in {num('knee_medial', '+.2f')}", f"FPPA at peak {num('fppa', '+.1f')}°"]
    if landing.leg == "both":
        parts += [f"knee separation {num('knee_separation_contact', '.2f')} at contact, "
                  f"{num('knee_separation_peak', '.2f')} at peak",
                  f"feet {num('contact_asymmetry_s', '.3f')} s apart"]
    else:
        parts += [f"pelvic drop {num('pelvic_drop', '+.1f')}°", f"trunk {num('trunk_lean', '+.1f')}°",
                  "held" if landing.held else "not held"]
    burst = getattr(landing, "burst", None)
    if burst and burst.get("used"):  # read again from the frames the camera captured (loop.burst)
        parts.append(f"read on {burst['scored']} of {burst['captured']} frames captured")
    verdict = "PASS" if not landing.failed else "FAIL " + ", ".join(landing.failed)
    return (f"landing {landing.index + 1:>2}  {landing.leg:<5} contact {landing.contact_frame} peak {landing.peak_frame}  "
            + "  ".join(parts) + f"  {verdict}")
