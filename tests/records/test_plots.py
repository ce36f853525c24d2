"""The report's plots show what the table says, and nothing covers the data."""

from __future__ import annotations

import re

from firmware_py.core.reps import Peak, Rep
from firmware_py.records import plots
from firmware_py.records.report import render
from firmware_py.records.sessionfile import SessionWriter, read_session

THRESHOLDS = {"fppa_warn": 8.0, "fppa_alert": 12.0, "knee_medial_alert": 0.25, "pelvic_drop_warn": 5.0,
              "pelvic_drop_alert": 8.0}


def _session(tmp_path, reps=(), trace=None):
    writer = SessionWriter(tmp_path / "s")
    writer.write({"type": "session", "id": "s", "athlete": "ana", "thresholds": THRESHOLDS}, sync=True)
    if trace is not None:
        writer.write({"type": "trace", **trace})
    for rep in reps:
        writer.write({"type": "rep", **rep.to_dict()}, sync=True)
    writer.close()
    return read_session(writer.path)


def _left_rep(i: int, fppa: float) -> Rep:
    return Rep(i, "left", 10 * i, i * 1.0, 10 * i + 4, i + 0.4, 10 * i + 8, i + 0.8, 0.3,
               peaks={"fppa_left": Peak(fppa, 10 * i + 4, i + 0.4)})


def test_the_median_bar_is_the_true_median_and_agrees_with_the_table(tmp_path):
    session = _session(tmp_path, [_left_rep(i, v) for i, v in enumerate((4.0, 1.0, 3.0, 2.0))])
    html = render(session, tmp_path)
    left = re.search(r'<tr[^>]*>\s*<td[^>]*>left</td>(.*?)</tr>', html, re.S).group(1)
    assert "+2.5 / +4.0" in left  # median of 1, 2, 3, 4 is 2.5, not the upper middle 3
    fppa_panel = plots.comparison_figure(session).axes[0]
    bars = [seg for c in fppa_panel.collections if hasattr(c, "get_segments") for seg in c.get_segments()]
    assert [round(float(seg[0][1]), 3) for seg in bars] == [2.5]
    assert plots.median([1.0, 2.0, 3.0]) == 2.0 and plots.median([]) is None


def test_the_legend_covers_no_data_not_even_a_peak_in_the_upper_right_corner(tmp_path):
    n = 60
    t = [i / 10 for i in range(n)]
    fppa = [60.0 * i / (n - 1) for i in range(n)]  # the collapse peaks at the very end, top right
    trace = {"t": t, "frame": list(range(n)), "fppa_left": fppa, "fppa_right": [2.0] * n,
             "stance": ["left"] * n, "level": ["ok"] * n}
    fig = plots.metric_figure(_session(tmp_path, trace=trace), "fppa")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(ax.get_window_extent(renderer))
    assert legend.x1 <= fig.bbox.x1 + 1  # and it is on the page, not cut off
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "alert 12" in labels and "left (loaded)" in labels


def test_a_two_footed_session_plots_its_separation_and_says_why_its_angles_are_empty(tmp_path):
    reps = [Rep(i, "both", 10 * i, i * 1.0, 10 * i + 4, i + 0.4, 10 * i + 8, i + 0.8, 0.3,
                peaks={"knee_separation_ratio": Peak(v, 10 * i + 4, i + 0.4)},
                gated={"fppa_left": "two_footed", "fppa_right": "two_footed"}) for i, v in enumerate((1.2, 0.9))]
    fig = plots.comparison_figure(_session(tmp_path, reps))
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[3] == "narrowest knee separation"
    bars = [seg for c in fig.axes[3].collections if hasattr(c, "get_segments") for seg in c.get_segments()]
    assert [round(float(seg[0][1]), 3) for seg in bars] == [1.05]
    assert any("judged by knee separation" in t.get_text() for t in fig.axes[0].texts)  # FPPA: why it is empty
    assert any("no foot model" in t.get_text() for t in fig.axes[4].texts)
