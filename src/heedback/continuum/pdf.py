"""One-page PDFs of the continuum: the service plan and the placement, for a business plan.

Built with fpdf2 like the collect app's cards, from the same shaped data the pages and
the API show (``plan_report.plan_out``, ``presentation.report_out``), so a PDF never says
something the page does not. DejaVu Sans is used where the system has it (every script);
the PDF's built-in Helvetica otherwise, with letters outside Latin-1 replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from heedback.collect.cards import UNICODE_FONT

#: Long names are cut so that every row stays one line and the page stays one page.
CELL_CHARACTERS = 48
#: The placement page lists up to six steps a factor; the one-page PDF the first three.
PDF_STEPS_PER_FACTOR = 3


class Document:
    """An A4 page with a heading, a line of context, and tables of one-line rows."""

    def __init__(self, *, landscape: bool = True) -> None:
        self.pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(12, 12, 12)
        self.pdf.add_page()
        self.family = "Helvetica"
        if UNICODE_FONT.exists():
            self.pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
            self.family = "DejaVu"

    def text(self, value: object) -> str:
        text = str(value)
        if self.family == "Helvetica":
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def heading(self, title: str, subtitle: str) -> None:
        self.pdf.set_font(self.family, size=16)
        self.pdf.cell(0, 8, self.text(title), new_x="LMARGIN", new_y="NEXT")
        self.pdf.set_font(self.family, size=9)
        self.pdf.multi_cell(0, 5, self.text(subtitle), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(2)

    def paragraph(self, text: str, size: float = 8) -> None:
        self.pdf.set_font(self.family, size=size)
        self.pdf.multi_cell(0, 4, self.text(text), new_x="LMARGIN", new_y="NEXT")

    def table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[object]],
        widths: Sequence[float],
        *,
        cut: bool = True,
    ) -> None:
        self.pdf.set_font(self.family, size=7.5)
        with self.pdf.table(
            col_widths=tuple(widths),
            line_height=4.2,
            headings_style=FontFace(emphasis=None, fill_color=(230, 233, 238)),
            first_row_as_headings=True,
        ) as table:
            table.row([self.text(cell) for cell in header])
            for row in rows:
                table.row([self.text(_cut(cell) if cut else cell) for cell in row])
        self.pdf.ln(3)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    @property
    def pages(self) -> int:
        return self.pdf.pages_count


def _cut(value: object) -> str:
    text = str(value)
    return text if len(text) <= CELL_CHARACTERS else text[: CELL_CHARACTERS - 1] + "…"


def plan_pdf(plan: dict[str, Any], organisation_name: str) -> bytes:
    """Return the plan on one A4 page: each target with its actual, interval and standing."""
    document = Document()
    period = f"{plan['starts_on']:%d %b %Y} – {plan['ends_on']:%d %b %Y}"
    subtitle = _("%(organisation)s · service plan for %(period)s · figures up to %(day)s") % {
        "organisation": organisation_name,
        "period": period,
        "day": f"{plan['judged_to']:%d %b %Y}",
    }
    if plan["survey_name"]:
        subtitle += " · " + _("customer scores from “%s”") % plan["survey_name"]
    document.heading(plan["name"], subtitle)
    summary = plan["summary"]
    document.paragraph(
        _("%(on_track)d on track, %(at_risk)d at risk, %(missed)d missed, %(no_data)d no data.")
        % summary,
        size=9,
    )
    document.pdf.ln(1)
    rows = [
        [
            line["unit_name"],
            line["channel_name"],
            _segment_cell(line),
            line["metric_name"],
            line["target_display"],
            line["actual_display"],
            line["interval_display"],
            line["n"],
            line["standing_name"],
        ]
        for line in plan["targets"]
    ]
    header = [
        _("Unit"),
        _("Channel"),
        _("Segment"),
        _("Measure"),
        _("Target"),
        _("Actual"),
        # xgettext:no-python-format
        _("95% interval"),
        _("n"),
        _("Standing"),
    ]
    document.table(header, rows, (42, 22, 26, 62, 18, 18, 34, 12, 25))
    document.paragraph(
        _(
            "A target is missed only when the whole 95% interval of the actual lies on the "
            "wrong side of it; a shortfall within the interval is at risk, not missed. Response "
            "time is the median hours to the first action on a case; cases closed in time are "
            "the share of decided cases resolved by their deadline."
        )
    )
    return document.output()


def _segment_cell(line: dict[str, Any]) -> str:
    if line["segment_known"]:
        return line["segment_name"]
    return _("%s (no customer yet)") % line["segment"]


def _level_name(level: dict[str, Any] | None) -> str:
    return level["name"] if level else "–"


def placement_pdf(report: dict[str, Any]) -> bytes:
    """Return the placement of one scope on one A4 page: factors, indicators, next steps.

    Employee indicators that the confidentiality rule withholds arrive here without a value
    (``report_out``), so the PDF cannot show them either.
    """
    document = Document()
    overall = report["overall"]
    own = report["self_assessment"]
    subtitle = _(
        "%(scope)s · %(day)s · your answers: %(self)s · your data: %(evidence)s · "
        "%(respondents)d people assessed"
    ) % {
        "scope": report["scope"]["name"],
        "day": f"{report['as_of']:%d %b %Y}",
        "self": _level_name(overall["self_assessed"]),
        "evidence": _level_name(overall["evidence"]),
        "respondents": own["respondents"],
    }
    document.heading(_("Customer Satisfaction Practices Continuum"), subtitle)
    document.paragraph(overall["message"], size=9)
    document.pdf.ln(2)
    factor_rows = [
        [
            factor["name"],
            _level_name(factor["self_assessed"]["level"] if factor["self_assessed"] else None),
            _level_name(factor["evidence"]["level"]),
            factor["message"],
        ]
        for factor in report["factors"]
    ]
    header = [_("Factor"), _("Your answers"), _("Your data"), _("What it says")]
    document.table(header, factor_rows, (36, 26, 26, 185), cut=False)
    indicator_rows = [
        [
            factor["name"],
            indicator["label"],
            indicator["display"] or indicator["status_label"],
            _level_name(indicator["level"]),
        ]
        for factor in report["factors"]
        for indicator in factor["evidence"]["indicators"]
    ]
    header = [_("Factor"), _("Evidence"), _("Value"), _("Supports up to")]
    document.table(header, indicator_rows, (36, 110, 70, 57))
    step_rows = [
        [factor["name"], _level_name(factor["next_steps"]["target"]), step["text"]]
        for factor in report["factors"]
        for step in factor["next_steps"]["steps"][:PDF_STEPS_PER_FACTOR]
    ]
    header = [_("Factor"), _("Towards"), _("Next step")]
    document.table(header, step_rows, (36, 26, 211))
    return document.output()
