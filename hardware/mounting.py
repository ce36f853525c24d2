"""How far the camera must stand so the athlete fills the frame.

    python hardware/mounting.py    # prints the README's distance table (markdown)

Pinhole model: a level camera at distance d sees a frame 2·d·tan(FOV/2) tall, so a body
of height H fills a fraction f of it at d = H / (f · 2·tan(FOV/2)).  FOVs are the
Raspberry Pi Camera Module 3 datasheet figures (full sensor, 16:9).  The wide lens has
barrel distortion, so its distances are approximate (±10 %).  Portrait means the camera
turned 90°, so the 66°/102° horizontal FOV becomes the vertical one.
"""

from __future__ import annotations

import math

# name: (horizontal FOV, vertical FOV) in degrees, landscape
CAMERAS: dict[str, tuple[float, float]] = {
    "Camera Module 3 (standard)": (66.0, 41.0),
    "Camera Module 3 Wide": (102.0, 67.0),
}
ATHLETE_HEIGHTS_M = (1.6, 1.9)
FILL = 0.80


def frame_span_m(distance_m: float, fov_deg: float) -> float:
    """Height (or width) of the scene the frame covers at ``distance_m``."""
    return 2 * distance_m * math.tan(math.radians(fov_deg) / 2)


def distance_m(body_m: float, fov_deg: float, fill: float = FILL) -> float:
    """Camera-to-athlete distance at which ``body_m`` fills ``fill`` of the frame height."""
    return body_m / fill / (2 * math.tan(math.radians(fov_deg) / 2))


def rows() -> list[tuple[str, str, float, list[float], float]]:
    """(camera, orientation, vertical FOV, distances per ATHLETE_HEIGHTS_M, frame width at the tallest)."""
    out = []
    for name, (hfov, vfov) in CAMERAS.items():
        for orientation, v, h in (("landscape", vfov, hfov), ("portrait", hfov, vfov)):
            ds = [distance_m(body, v) for body in ATHLETE_HEIGHTS_M]
            out.append((name, orientation, v, ds, frame_span_m(ds[-1], h)))
    return out


def markdown_table() -> str:
    heights = " | ".join(f"distance for {h:.1f} m athlete" for h in ATHLETE_HEIGHTS_M)
    width = f"frame width at the {ATHLETE_HEIGHTS_M[-1]:.1f} m distance"
    lines = [f"| Camera | Orientation | Vertical FOV | {heights} | {width} |",
             "|---|---|---|" + "---|" * len(ATHLETE_HEIGHTS_M) + "---|"]
    for name, orientation, v, ds, width in rows():
        dist = " | ".join(f"{d:.1f} m" for d in ds)
        lines.append(f"| {name} | {orientation} | {v:.0f}° | {dist} | {width:.1f} m |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
