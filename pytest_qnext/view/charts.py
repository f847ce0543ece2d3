"""Inline SVG charts as plain data: the geometry is computed here, `charts.html` draws it.

Every label and tooltip goes through the template's autoescaping; the page script only toggles
series (click a legend entry). Two kinds: horizontal bars with interval whiskers (scores per
dataset with their CI) and x/y charts (lines or a scatter), with a log2 x axis for sweeps
whose concurrency doubles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PALETTE", "BarItem", "Series", "bar_chart", "nice_ticks", "xy_chart"]

PALETTE = (
    "#2563eb",
    "#dc2626",
    "#059669",
    "#d97706",
    "#7c3aed",
    "#0891b2",
    "#db2777",
    "#65a30d",
    "#475569",
    "#ea580c",
)
_W, _H = 640, 320
_PAD = {"left": 64, "right": 16, "top": 36, "bottom": 48}


@dataclass(frozen=True)
class BarItem:
    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    note: str = ""  # tooltip text after the value


@dataclass
class Series:
    name: str
    points: list[tuple[float, float, str]]  # x, y, tooltip
    dash: bool = False
    color: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About `count` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks = []
    value = start
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 12))
    return ticks


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.3g}"
    return f"{value:.3g}"


def bar_chart(title: str, items: Sequence[BarItem], x_label: str = "score") -> dict[str, Any]:
    """Horizontal bars on a 0..1 axis (scores), one per item, with [low, high] whiskers."""
    row_h, left = 30, 112
    width = 520
    height = _PAD["top"] + row_h * max(len(items), 1) + _PAD["bottom"]
    plot_w = width - left - _PAD["right"] - 40
    top = _PAD["top"]
    top_value = max([1.0, *(i.high or 0 for i in items), *(i.value or 0 for i in items)])

    def sx(v: float) -> float:
        return left + plot_w * max(0.0, v) / top_value

    bars = []
    for n, item in enumerate(items):
        y = top + n * row_h
        bar: dict[str, Any] = {
            "label": item.label if len(item.label) <= 17 else item.label[:16] + "…",
            "y": y + 4,
            "h": row_h - 8,
            "ty": y + row_h / 2 + 4,
            "x": left,
            "w": 0.0 if item.value is None else sx(item.value) - left,
            "text": "-" if item.value is None else f"{item.value:.4f}",
            "tx": (sx(item.value) if item.value is not None else left) + 4,
            "tip": f"{item.label}: "
            + ("no score" if item.value is None else f"{item.value:.4f}")
            + (
                f" (CI {item.low:.4f}–{item.high:.4f})"
                if item.low is not None and item.high is not None
                else ""
            )
            + (f"; {item.note}" if item.note else ""),
        }
        if item.low is not None and item.high is not None:
            bar["whisker"] = {"x1": sx(item.low), "x2": sx(item.high), "y": y + row_h / 2}
        bars.append(bar)
    ticks = [t for t in nice_ticks(0.0, top_value) if t <= top_value + 1e-9]
    bottom = top + row_h * max(len(items), 1)
    return {
        "kind": "bars",
        "title": title,
        "width": width,
        "height": height,
        "bars": bars,
        "left": left,
        "bottom": bottom,
        "top": top,
        "right": left + plot_w,
        "x_ticks": [{"x": sx(t), "label": _fmt(t)} for t in ticks],
        "x_label": x_label,
    }


def xy_chart(
    title: str,
    x_label: str,
    y_label: str,
    series: Sequence[Series],
    *,
    lines: bool = True,
    log_x: bool | None = None,
) -> dict[str, Any]:
    """Lines (or a scatter when `lines` is False) of `series`; `log_x` None = log2 when every
    x is positive and they span at least a factor 8 (a doubling concurrency sweep)."""
    pts = [(x, y) for s in series for x, y, _ in s.points if math.isfinite(x) and math.isfinite(y)]
    xs = [p[0] for p in pts] or [0.0, 1.0]
    ys = [p[1] for p in pts] or [0.0, 1.0]
    if log_x is None:
        log_x = lines and min(xs) > 0 and max(xs) / min(xs) >= 8
    left, right = _PAD["left"], _W - _PAD["right"]
    top, bottom = _PAD["top"], _H - _PAD["bottom"]
    if log_x:
        lo_e, hi_e = math.floor(math.log2(min(xs))), math.ceil(math.log2(max(xs)))
        hi_e = max(hi_e, lo_e + 1)
        x_ticks = [2.0**e for e in range(lo_e, hi_e + 1)]
        x_lo, x_hi = math.log2(x_ticks[0]), math.log2(x_ticks[-1])

        def tx(v: float) -> float:
            return math.log2(v)
    else:
        x_ticks = nice_ticks(min(0.0, min(xs)), max(xs))
        x_lo, x_hi = x_ticks[0], x_ticks[-1]

        def tx(v: float) -> float:
            return v

    y_ticks = nice_ticks(min(0.0, min(ys)), max(ys))
    y_lo, y_hi = y_ticks[0], y_ticks[-1]

    def sx(v: float) -> float:
        return left + (right - left) * (tx(v) - x_lo) / ((x_hi - x_lo) or 1.0)

    def sy(v: float) -> float:
        return bottom - (bottom - top) * (v - y_lo) / ((y_hi - y_lo) or 1.0)

    drawn = []
    for n, s in enumerate(series):
        color = s.color or PALETTE[n % len(PALETTE)]
        good = [(x, y, t) for x, y, t in s.points if math.isfinite(x) and math.isfinite(y)]
        coords = [(round(sx(x), 1), round(sy(y), 1), t) for x, y, t in good]
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{cx},{cy}" for i, (cx, cy, _) in enumerate(coords)
        )
        drawn.append(
            {
                "name": s.name,
                "color": color,
                "dash": s.dash,
                "path": path if lines else "",
                "points": [{"x": cx, "y": cy, "tip": t} for cx, cy, t in coords],
                "r": 3.5 if lines else 2.2,
            }
        )
    return {
        "kind": "xy",
        "title": title,
        "width": _W,
        "height": _H,
        "left": left,
        "right": right,
        "top": top,
        "bottom": bottom,
        "x_label": x_label,
        "y_label": y_label,
        "x_ticks": [{"x": round(sx(t), 1), "label": _fmt(t)} for t in x_ticks],
        "y_ticks": [{"y": round(sy(t), 1), "label": _fmt(t)} for t in y_ticks],
        "series": drawn,
        "empty": not pts,
    }
