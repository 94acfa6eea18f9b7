"""Charts drawn on the server as SVG, so a page, an email digest and a PDF share one picture.

Pure functions from numbers to markup: no JavaScript, no inline styles (the CSP forbids
them); classes from app.css colour the marks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    css_class: str = "bar"


def distribution(bars: Sequence[Bar], *, title: str) -> str:
    """Return a column chart of answer counts per scale point or option."""
    width, height, top, bottom = 320, 120, 14, 22
    slot = width / max(len(bars), 1)
    peak = max((bar.count for bar in bars), default=0) or 1
    total = sum(bar.count for bar in bars) or 1
    marks = []
    for index, bar in enumerate(bars):
        bar_height = (height - top - bottom) * bar.count / peak
        x = index * slot + slot * 0.15
        y = height - bottom - bar_height
        share = 100 * bar.count / total
        centre = x + slot * 0.35
        marks.append(
            f"<g><title>{escape(bar.label)}: {bar.count} ({share:.0f}%)</title>"
            f'<rect class="{bar.css_class}" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{bar_height:.1f}" rx="2"/>'
            f'<text x="{centre:.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(_short(bar.label))}</text>"
            f'<text x="{centre:.1f}" y="{max(y - 3, 10):.1f}" text-anchor="middle">'
            f"{bar.count}</text></g>"
        )
    return (
        f'<svg class="bars" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(marks)}</svg>"
    )


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None
    high: float | None
    is_small: bool


def trend(points: Sequence[Point], *, title: str, lowest: float, highest: float) -> str:
    """Return a trend of a metric per period with its interval as a whisker."""
    width, height, left, bottom, top = 640, 180, 34, 24, 10
    plot_height = height - top - bottom
    slot = (width - left) / max(len(points), 1)

    def y_of(value: float) -> float:
        return top + plot_height * (highest - value) / (highest - lowest)

    grid = []
    for tick in _ticks(lowest, highest):
        y = y_of(tick)
        grid.append(
            f'<line class="grid" x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    marks = []
    for index, point in enumerate(points):
        x = left + slot * (index + 0.5)
        # About seven labels fit under a chart this wide without touching each other.
        label_every = max(1, math.ceil(len(points) / 7))
        if index % label_every == 0:
            marks.append(
                f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{escape(point.label)}</text>"
            )
        if point.value is None:
            continue
        css = "point small" if point.is_small else "point"
        interval = f" ({point.low:.1f} to {point.high:.1f})" if point.low is not None else ""
        whisker = ""
        if point.low is not None and point.high is not None:
            whisker = (
                f'<line class="whisker" x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(point.high):.1f}" '
                f'y2="{y_of(point.low):.1f}"/>'
            )
        marks.append(
            f"<g><title>{escape(point.label)}: {point.value:.1f}{interval}</title>{whisker}"
            f'<circle class="{css}" cx="{x:.1f}" cy="{y_of(point.value):.1f}" r="4"/></g>'
        )
    return (
        f'<svg class="trend" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(grid)}{''.join(marks)}</svg>"
    )


@dataclass(frozen=True)
class ScatterPoint:
    label: str
    x: float
    y: float


def scatter(
    points: Sequence[ScatterPoint],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
) -> str:
    """Return a scatter of one value against another (a unit per point), axes labelled.

    Each point carries its label and both values as a tooltip; pages show the same
    numbers in a table beside the chart.
    """
    width, height, left, bottom, top, right = 640, 300, 44, 40, 12, 12
    plot_width, plot_height = width - left - right, height - top - bottom
    (x_low, x_high), (y_low, y_high) = x_range, y_range

    def x_of(value: float) -> float:
        return left + plot_width * (value - x_low) / (x_high - x_low)

    def y_of(value: float) -> float:
        return top + plot_height * (y_high - value) / (y_high - y_low)

    grid = []
    for tick in _ticks(y_low, y_high):
        y = y_of(tick)
        grid.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>'
        )
    for tick in _ticks(x_low, x_high):
        x = x_of(tick)
        grid.append(
            f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}"/>'
            f'<text x="{x:.1f}" y="{height - bottom + 14}" text-anchor="middle">{tick:g}</text>'
        )
    axes = (
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 4}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{top + plot_height / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_height / 2:.1f})">{escape(y_label)}</text>'
    )
    marks = [
        f"<g><title>{escape(point.label)}: {point.x:.1f}, {point.y:.1f}</title>"
        f'<circle class="point" cx="{x_of(point.x):.1f}" cy="{y_of(point.y):.1f}" r="5"/></g>'
        for point in points
    ]
    return (
        f'<svg class="scatter" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{''.join(grid)}{axes}{''.join(marks)}</svg>"
    )


def _ticks(lowest: float, highest: float) -> list[float]:
    step = (highest - lowest) / 4
    return [lowest + step * index for index in range(5)]


def _short(label: str, length: int = 10) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


@dataclass(frozen=True)
class QuadrantMark:
    """A driver on the importance–performance chart; a non-significant one is drawn pale."""

    label: str
    importance: float  # share of R², 0–1
    performance: float  # score, 0–100
    is_significant: bool


def quadrant(
    marks: Sequence[QuadrantMark],
    *,
    title: str,
    corner_labels: tuple[str, str, str, str],
    axis_labels: tuple[str, str],
) -> str:
    """Return the importance–performance chart: performance across, importance up.

    The dividing lines are the averages of the drivers shown (``drivers.quadrants``);
    ``corner_labels`` are top-left, top-right, bottom-right, bottom-left (fix first, keep
    up, possible overkill, low priority).
    """
    width, height, left, bottom, top, right = 480, 320, 40, 30, 12, 12
    plot_width, plot_height = width - left - right, height - top - bottom
    highest = max((mark.importance for mark in marks), default=0.0)
    highest = max(0.1, math.ceil(highest * 10 + 0.5) / 10)

    def x_of(value: float) -> float:
        return left + plot_width * max(0.0, min(100.0, value)) / 100

    def y_of(value: float) -> float:
        return top + plot_height * (1 - max(0.0, value) / highest)

    lines = []
    if marks:
        average_x = x_of(sum(mark.performance for mark in marks) / len(marks))
        average_y = y_of(sum(mark.importance for mark in marks) / len(marks))
        lines.append(
            f'<line class="grid" x1="{average_x:.1f}" x2="{average_x:.1f}" y1="{top}" '
            f'y2="{height - bottom}"/><line class="grid" x1="{left}" x2="{width - right}" '
            f'y1="{average_y:.1f}" y2="{average_y:.1f}"/>'
        )
    corners = [
        (left + 4, top + 12, "start"),
        (width - right - 4, top + 12, "end"),
        (width - right - 4, height - bottom - 6, "end"),
        (left + 4, height - bottom - 6, "start"),
    ]
    texts = [
        f'<text class="corner" x="{x}" y="{y}" text-anchor="{anchor}">{escape(label)}</text>'
        for (x, y, anchor), label in zip(corners, corner_labels, strict=True)
    ]
    axes = (
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{height - bottom}" '
        f'y2="{height - bottom}"/><line class="axis" x1="{left}" x2="{left}" y1="{top}" '
        f'y2="{height - bottom}"/>'
        f'<text x="{left + plot_width / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{escape(axis_labels[0])}</text>"
        f'<text x="12" y="{top + plot_height / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + plot_height / 2:.1f})">{escape(axis_labels[1])}</text>'
    )
    points = []
    for mark in marks:
        x, y = x_of(mark.performance), y_of(mark.importance)
        css = "point" if mark.is_significant else "point small"
        points.append(
            f"<g><title>{escape(mark.label)}: {mark.performance:.0f} / "
            f"{100 * mark.importance:.0f}%</title>"
            f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="5"/>'
            f'<text x="{x + 7:.1f}" y="{y + 4:.1f}">{escape(_short(mark.label, 18))}</text></g>'
        )
    return (
        f'<svg class="quadrant" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f"{axes}{''.join(lines)}{''.join(texts)}{''.join(points)}</svg>"
    )
