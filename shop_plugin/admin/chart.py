"""The dashboard's bar chart of scans per day, laid out on the server as SVG geometry."""

from __future__ import annotations

import math
from dataclasses import dataclass

from shoptrace.shop_plugin.admin import phrases
from shoptrace.shop_plugin.admin.queries import DayCount
from shoptrace.widgets import i18n

__all__ = ["Bar", "Chart", "bar_chart"]

WIDTH = 640
HEIGHT = 200
LEFT = 40
RIGHT = 8
TOP = 12
BOTTOM = 24


@dataclass(frozen=True)
class Bar:
    """One day: a genuine part stacked under an unknown-or-forged part (SVG user units)."""

    x: float
    width: float
    genuine_y: float
    genuine_height: float
    other_y: float
    other_height: float
    label: str


@dataclass(frozen=True)
class Chart:
    """What the template draws."""

    width: int
    height: int
    left: int
    right: int
    top: int
    baseline: int
    scale_top: int
    bars: tuple[Bar, ...]
    first: str
    last: str
    label: str
    total: int


def _nice(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... at least ``value`` (at least 1)."""
    if value <= 1:
        return 1
    power = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def bar_chart(days: list[DayCount], lang: str) -> Chart:
    """The chart of ``days`` (oldest first) with labels in ``lang``."""
    baseline = HEIGHT - BOTTOM
    plot = baseline - TOP
    scale = _nice(max((d.total for d in days), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        genuine = plot * day.genuine / scale
        other = plot * day.other / scale
        shown = i18n.format_date(day.day.isoformat(), lang)
        bars.append(
            Bar(
                x=round(LEFT + index * slot + slot * 0.15, 2),
                width=round(slot * 0.7, 2),
                genuine_y=round(baseline - genuine, 2),
                genuine_height=round(genuine, 2),
                other_y=round(baseline - genuine - other, 2),
                other_height=round(other, 2),
                label=phrases.t("dash.day", lang, date=shown, genuine=day.genuine, other=day.other),
            )
        )
    first = i18n.format_date(days[0].day.isoformat(), lang) if days else ""
    last = i18n.format_date(days[-1].day.isoformat(), lang) if days else ""
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        baseline=baseline,
        scale_top=scale,
        bars=tuple(bars),
        first=first,
        last=last,
        label=phrases.t("dash.chart_label", lang, start=first, end=last),
        total=sum(d.total for d in days),
    )
