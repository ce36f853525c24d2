"""The coach's commands for the drills at speed: ``steps``, the last running steps the
loop judged, with the cadence and each side's mean over the last ``run_steps`` steps;
``landings``, the last landings of hops and drop jumps with their verdicts."""

from __future__ import annotations

from firmware_py.console.registry import Context, Reply, command, fail, usage
from firmware_py.core.running import cadence_spm, side_means
from firmware_py.wording import landing_line, step_line

SIDES = ("left", "right")
SHOWN = ("pelvic_drop", "hip_adduction", "trunk_lean", "fppa")


@command("steps [N]", "running: the last N steps (default 8), the cadence and each side's means")
def _steps(ctx: Context, args: list[str], now: float) -> Reply:
    try:
        n = int(args[0]) if args else 8
    except ValueError:
        return usage("steps")
    if len(args) > 1 or not 1 <= n <= 100:
        return fail("N is 1 to 100")
    steps = list(ctx.device.mailbox.steps)
    if not steps:
        return Reply(True, "no running steps yet ('drill run', camera behind the treadmill at hip height)",
                     {"steps": []})
    window = int(ctx.device.settings.config.thresholds.run_steps)
    cadence = cadence_spm(steps)
    lines = [step_line(s) for s in steps[-n:]]
    lines.append("cadence " + ("–" if cadence is None else f"{cadence:.0f} steps/min"))
    means = {}
    for side in SIDES:
        count = min(window, sum(s.side == side for s in steps))
        means[side] = side_means(steps, side, window)
        shown = ", ".join(f"{k.replace('_', ' ')} {means[side][k]:+.1f}" for k in SHOWN if means[side][k] is not None)
        lines.append(f"{side} mean of the last {count}: {shown or 'nothing read'}")
    return Reply(True, "\n".join(lines), {"steps": [s.to_dict() for s in steps[-n:]], "cadence_spm": cadence,
                                          "means": means, "window_steps": window})


@command("landings [N]", "hops and landings: the last N landings (default 8), per leg, with their verdicts")
def _landings(ctx: Context, args: list[str], now: float) -> Reply:
    try:
        n = int(args[0]) if args else 8
    except ValueError:
        return usage("landings")
    if len(args) > 1 or not 1 <= n <= 100:
        return fail("N is 1 to 100")
    done = list(ctx.device.mailbox.landings)
    if not done:
        return Reply(True, "no landings yet ('drill hop' for single-leg hops, 'drill land' for drop jumps)",
                     {"landings": []})
    per_leg = {leg: sum(x.leg == leg for x in done) for leg in ("left", "right", "both")}
    lines = [landing_line(x) for x in done[-n:]]
    lines.append(f"{len(done)} landings: " + ", ".join(f"{k} {v}" for k, v in per_leg.items() if v)
                 + f"; {sum(bool(x.failed) for x in done)} failed")
    return Reply(True, "\n".join(lines), {"landings": [x.to_dict() for x in done[-n:]], "per_leg": per_leg})
