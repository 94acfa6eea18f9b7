"""The placement history drawn on the server as SVG, in the manner of insights/charts.py.

A pure function from levels to markup: no script, no inline style (the CSP forbids both);
classes in continuum.css colour the series, and each series also has its own dash pattern
and marker so it reads without colour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    css_class: str


@dataclass(frozen=True)
class Column:
    """One assessed period: its label and the level (1-5) of each series, None if unplaced."""

    label: str
    levels: Mapping[str, int | None]


def placement_history(
    columns: Sequence[Column], series: Sequence[Series], *, level_names: Sequence[str], title: str
) -> str:
    """Return a line chart of levels over time, one line per series, with a legend on top."""
    width, height, left, top, bottom = 640, 230, 78, 34, 24
    plot_height = height - top - bottom
    slot = (width - left) / max(len(columns), 1)
    levels = len(level_names)

    def y_of(level: float) -> float:
        return top + plot_height * (levels - level) / (levels - 1)

    parts = [_grid(level_names, y_of, left, width)]
    parts.append(_legend(series, left))
    label_every = max(1, -(-len(columns) // 7))  # about seven labels fit without touching
    for index, column in enumerate(columns):
        if index % label_every == 0:
            x = left + slot * (index + 0.5)
            parts.append(
                f'<text class="axis" x="{x:.1f}" y="{height - 6}" text-anchor="middle">'
                f"{escape(column.label)}</text>"
            )
    for number, item in enumerate(series):
        # Lines on the same level would hide each other: nudge each series a little.
        nudge = (number - (len(series) - 1) / 2) * 3.0
        parts.append(_series(columns, item, slot, left, y_of, nudge, level_names))
    return (
        f'<svg class="continuum-history" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def _grid(level_names: Sequence[str], y_of, left: int, width: int) -> str:
    lines = []
    for index, name in enumerate(level_names, start=1):
        y = y_of(index)
        lines.append(
            f'<line class="grid" x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
        )
    return "".join(lines)


def _legend(series: Sequence[Series], left: int) -> str:
    items = []
    x = left
    for item in series:
        items.append(
            f'<g class="{item.css_class}">'
            f'<line class="line" x1="{x}" x2="{x + 18}" y1="12" y2="12"/>'
            f'<text class="legend" x="{x + 23}" y="16">{escape(item.label)}</text></g>'
        )
        x += 28 + 7 * len(item.label)
    return "".join(items)


def _series(columns, item: Series, slot: float, left: int, y_of, nudge: float, names) -> str:
    segments: list[list[tuple[float, float]]] = [[]]
    marks = []
    for index, column in enumerate(columns):
        level = column.levels.get(item.key)
        if level is None:
            segments.append([])
            continue
        x, y = left + slot * (index + 0.5), y_of(level) + nudge
        segments[-1].append((x, y))
        marks.append(
            f'<circle class="mark" cx="{x:.1f}" cy="{y:.1f}" r="4">'
            f"<title>{escape(column.label)} · {escape(item.label)}: "
            f"{escape(names[level - 1])}</title></circle>"
        )
    lines = [
        '<polyline class="line" fill="none" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        + '"/>'
        for segment in segments
        if len(segment) > 1
    ]
    return f'<g class="{item.css_class}">{"".join(lines)}{"".join(marks)}</g>'
