"""The units × domains heatmap, drawn on the server as SVG (page, PDF and email alike).

Colour says where a unit stands against the top row (the organisation or the chosen unit)
on a domain, on ColorBrewer's purple–orange diverging scale, which stays readable with
the common colour-vision deficiencies; the sign is also in the shape (▲ ▼ for a
significant change) and in the numbers, so nothing is told by colour alone. Small cells
are grey and carry no colour and no arrow. Each cell's ``<title>`` gives the figures and
p-values on hover; the page shows the same numbers as a table.
"""

from __future__ import annotations

from html import escape

from django.utils.translation import gettext as _

from heedback.insights.scorecards import Cell, Scorecard

#: Points away from the top row that start each colour step (symmetric around zero).
STEPS = (3.0, 10.0)

#: Fill and text colour of each class (ColorBrewer PuOr, 5 classes), also written as SVG
#: presentation attributes so the chart keeps its colours outside the page (PDF, email).
COLOURS = {
    "heat-m2": ("#b35806", "#ffffff"),
    "heat-m1": ("#f1a340", "#1b2430"),
    "heat-0": ("#f7f7f7", "#1b2430"),
    "heat-p1": ("#998ec3", "#1b2430"),
    "heat-p2": ("#542788", "#ffffff"),
    "heat-top": ("#ffffff", "#1b2430"),
    "heat-small": ("#e4e7eb", "#4f5b69"),
    "heat-none": ("#ffffff", "#4f5b69"),
}


def shade(cell: Cell) -> str:
    """Return the CSS class of a cell's fill."""
    if cell.score is None:
        return "heat-none"
    if cell.is_small:
        return "heat-small"
    if cell.relative is None:
        return "heat-top"
    near, far = STEPS
    if cell.relative <= -far:
        return "heat-m2"
    if cell.relative <= -near:
        return "heat-m1"
    if cell.relative >= far:
        return "heat-p2"
    if cell.relative >= near:
        return "heat-p1"
    return "heat-0"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def points(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def p_text(value: float | None) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def cell_title(unit_name: str, domain_name: str, cell: Cell, minimum: int) -> str:
    """Return the hover text: figures, previous period, change and (adjusted) p."""
    parts = [
        f"{unit_name} · {domain_name}: {percent(cell.score)} (n = {cell.n})",
        _("previous period %(score)s (n = %(n)s)")
        % {"score": percent(cell.previous_score), "n": cell.previous_n},
    ]
    if cell.change is not None:
        parts.append(_("change %s points") % points(cell.change))
    if cell.p_value is not None:
        parts.append(
            _("p = %(p)s, adjusted p = %(adjusted)s")
            % {"p": p_text(cell.p_value), "adjusted": p_text(cell.adjusted_p_value)}
        )
        parts.append(_("significant") if cell.is_significant else _("not significant"))
    elif cell.n or cell.previous_n:
        parts.append(_("not tested: fewer than %s answers") % minimum)
    return "; ".join(parts)


def heatmap(scorecard: Scorecard, *, title: str) -> str:
    """Return the heatmap of a scorecard as an SVG document fragment."""
    label_width, cell_width, cell_height, head = 170, 78, 34, 120
    columns = len(scorecard.domains)
    # Room on the right for the last rotated domain name.
    width = label_width + cell_width * max(columns, 1) + 110
    height = head + cell_height * len(scorecard.rows) + 6
    marks = []
    for index, domain in enumerate(scorecard.domains):
        x = label_width + cell_width * (index + 0.5)
        marks.append(
            f'<text class="heat-domain" x="{x:.0f}" y="{head - 8}" '
            f'transform="rotate(-35 {x:.0f} {head - 8})">{escape(_short(domain.name, 24))}</text>'
        )
    for row_index, row in enumerate(scorecard.rows):
        y = head + cell_height * row_index
        weight = ' class="heat-unit top"' if row.is_top else ' class="heat-unit"'
        marks.append(
            f'<text{weight} x="{label_width - 8}" y="{y + cell_height / 2 + 4:.0f}" '
            f'text-anchor="end">{escape(_short(row.unit.name, 24))}</text>'
        )
        for column, (domain, cell) in enumerate(zip(scorecard.domains, row.cells, strict=True)):
            x = label_width + cell_width * column
            arrow = {"up": " ▲", "down": " ▼"}.get(cell.direction, "")
            hover = cell_title(row.unit.name, domain.name, cell, scorecard.minimum_sample)
            css = shade(cell)
            fill, ink = COLOURS[css]
            marks.append(
                f'<g data-unit="{row.unit.pk}" data-domain="{escape(domain.key)}">'
                f"<title>{escape(hover)}</title>"
                f'<rect class="{css}" fill="{fill}" stroke="#d5dbe3" x="{x + 1}" y="{y + 1}" '
                f'width="{cell_width - 2}" height="{cell_height - 2}" rx="3"/>'
                f'<text class="heat-value" fill="{ink}" x="{x + cell_width / 2:.0f}" '
                f'y="{y + cell_height / 2 + 4:.0f}" text-anchor="middle">'
                f"{percent(cell.score)}{arrow}</text></g>"
            )
    return (
        f'<svg class="heatmap" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>{''.join(marks)}</svg>"
    )


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
