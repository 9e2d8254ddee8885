"""Geometry of the dashboard's server-rendered SVG charts (bars, axes, ticks); the
templates in templates/admin/_charts.html draw it. No JavaScript, no inline styles."""
from __future__ import annotations

import math
from dataclasses import dataclass

from portal.formatting import vn_number

LABEL_CHARS = 34


@dataclass(frozen=True)
class Bar:
    label: str  # as shown (maybe shortened)
    full_label: str  # in the bar's <title>
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    text: str
    position: float  # x for horizontal charts, y for column charts


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[Tick]
    plot_left: float
    plot_top: float
    plot_right: float
    plot_bottom: float
    label_every: int = 1  # column charts: label one column in N when they are crowded


def nice_ceiling(value: float) -> int:
    """The axis maximum: the value rounded up to 1, 2 or 5 × 10^k (at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return int(step * power)
    return int(10 * power)


def _ticks(top: int, count: int = 4) -> list[int]:
    step = max(1, nice_ceiling(top / count))
    return list(range(0, top + 1, step))


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def horizontal_bars(items: list[tuple[str, int]], width: int = 720, bar: int = 22, gap: int = 8,
                    label_width: int = 250, value_width: int = 70) -> Chart:
    """One bar per item, top to bottom, labels on the left, values at the bar's end."""
    top_pad, bottom_pad = 8, 26
    plot_left, plot_right = label_width, width - value_width
    top = nice_ceiling(max((v for _, v in items), default=0))
    scale = (plot_right - plot_left) / top
    bars = [Bar(shorten(label), label, value, plot_left, top_pad + i * (bar + gap), value * scale, bar)
            for i, (label, value) in enumerate(items)]
    bottom = top_pad + len(items) * (bar + gap)
    ticks = [Tick(v, vn_number(v), plot_left + v * scale) for v in _ticks(top)]
    return Chart(width, int(bottom + bottom_pad), bars, ticks, plot_left, top_pad, plot_right, bottom)


def columns(items: list[tuple[str, int]], width: int = 720, height: int = 240, max_labels: int = 14) -> Chart:
    """One column per item, left to right (days, scores), a value axis on the left."""
    plot_left, plot_right, plot_top, plot_bottom = 56, width - 8, 12, height - 30
    top = nice_ceiling(max((v for _, v in items), default=0))
    slot = (plot_right - plot_left) / max(len(items), 1)
    column = max(slot * 0.72, 1.0)
    scale = (plot_bottom - plot_top) / top
    bars = [Bar(label, label, value, plot_left + i * slot + (slot - column) / 2, plot_bottom - value * scale,
                column, value * scale) for i, (label, value) in enumerate(items)]
    ticks = [Tick(v, vn_number(v), plot_bottom - v * scale) for v in _ticks(top)]
    every = max(1, math.ceil(len(items) / max_labels))
    return Chart(width, height, bars, ticks, plot_left, plot_top, plot_right, plot_bottom, every)
