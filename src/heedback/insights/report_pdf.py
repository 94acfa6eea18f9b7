"""The overview as a PDF for the monthly review, drawn with fpdf2.

fpdf2 is pure Python (already used for the QR cards), where WeasyPrint would need Pango
and Cairo on the reader's machine. The report carries the same figures as the page —
headlines with intervals and tested changes, the trends and the volume as tables, the
domain heatmap as coloured cells with the same palette and arrows, the critical comments
— read through the same ``dashboards.build_overview``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from fpdf import FPDF

from heedback.collect.cards import UNICODE_FONT
from heedback.insights.dashboard_pages import critical_comments, overview_for
from heedback.insights.dashboards import Overview
from heedback.insights.heatmap_chart import COLOURS, p_text, percent, shade
from heedback.insights.metrics import format_value
from heedback.insights.page_filters import read_filters
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission

BOLD_FONT = UNICODE_FONT.with_name("DejaVuSans-Bold.ttf")
PAGE_WIDTH = 190  # A4 portrait inside 10 mm margins


class Report:
    """An A4 document with the few text styles the report uses."""

    def __init__(self) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(10, 10)
        self.pdf.set_auto_page_break(True, margin=12)
        self.pdf.add_page()
        self.unicode = UNICODE_FONT.exists() and BOLD_FONT.exists()
        if self.unicode:
            self.pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
            self.pdf.add_font("DejaVu", style="B", fname=str(BOLD_FONT))
        self.family = "DejaVu" if self.unicode else "Helvetica"

    def text(self, value: str) -> str:
        """Return text the font can print: Helvetica knows Latin-1 only."""
        if self.unicode:
            return value
        value = value.replace("▲", "up").replace("▼", "down").replace("–", "-").replace("·", "-")
        return value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 13) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(self.family, "B", size)
        self.pdf.multi_cell(PAGE_WIDTH, size * 0.5, self.text(value))
        self.pdf.ln(1)

    def line(self, value: str, size: int = 9) -> None:
        self.pdf.set_font(self.family, "", size)
        self.pdf.multi_cell(PAGE_WIDTH, size * 0.45, self.text(value))

    def table(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.pdf.set_font(self.family, "B", 8)
        for title, width in zip(header, widths, strict=True):
            self.pdf.cell(width, 5, self.text(title), border="B")
        self.pdf.ln()
        self.pdf.set_font(self.family, "", 8)
        for row in rows:
            for value, width in zip(row, widths, strict=True):
                self.pdf.cell(width, 5, self.text(str(value)))
            self.pdf.ln()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def overview_report(overview: Overview, organisation_name: str, comments: list) -> bytes:
    """Return the PDF of an overview."""
    report = Report()
    query = overview.query
    report.heading(_("%(organisation)s · monthly review") % {"organisation": organisation_name}, 16)
    report.line(
        f"{query.survey.name} · {query.unit.name} · "
        f"{query.date_from.isoformat()} – {query.date_to.isoformat()}"
    )
    _headlines(report, overview)
    for trend in overview.trends:
        report.heading(_("%s by period") % trend.metric.label)
        report.table(
            # xgettext:no-python-format
            [_("Period"), trend.metric.label, _("95% interval"), "n"],
            [
                [
                    row.label,
                    format_value(trend.metric, row.value),
                    f"{format_value(trend.metric, row.ci_low)} – "
                    f"{format_value(trend.metric, row.ci_high)}",
                    row.n,
                ]
                for row in trend.rows
            ],
            [50, 30, 50, 30],
        )
    report.heading(_("Responses by period"))
    report.table(
        [_("Period"), _("Responses")],
        [[row.label, row.n] for row in overview.volume.rows if row.n],
        [50, 30],
    )
    _heatmap(report, overview)
    report.heading(_("Latest critical comments"))
    for text in comments:
        report.line(f"{text.submitted_at:%Y-%m-%d} · {text.response.unit.name}: {text.body}")
    if not comments:
        report.line(_("No comment flagged as urgent in this period."))
    return report.output()


def _headlines(report: Report, overview: Overview) -> None:
    report.heading(_("Headline figures"))
    for headline in overview.headlines:
        spec, value, change = headline.metric, headline.value, headline.change
        interval = ""
        if value.ci_low is not None:
            interval = _(" (95%% interval %(low)s to %(high)s)") % {
                "low": format_value(spec, value.ci_low),
                "high": format_value(spec, value.ci_high),
            }
        arrow = {"up": "▲ ", "down": "▼ "}.get(change["direction"], "")
        report.line(
            f"{spec.label}: {format_value(spec, value)}{interval}, n = {value.n}; "
            + _(
                "previous %(previous)s, change %(arrow)s%(difference)s, "
                "p = %(p)s (adjusted %(adjusted)s)"
            )
            % {
                "previous": format_value(spec, headline.previous),
                "arrow": arrow,
                "difference": change["difference"],
                "p": change["p"],
                "adjusted": change["adjusted_p"],
            },
            10,
        )


def _heatmap(report: Report, overview: Overview) -> None:
    scorecard = overview.scorecard
    if not scorecard.domains:
        return
    report.heading(_("Domains (share of favourable answers)"))
    pdf = report.pdf
    label_width = 40
    width = min(15.0, (PAGE_WIDTH - label_width) / len(scorecard.domains))
    pdf.set_font(report.family, "B", 6)
    pdf.cell(label_width, 5, "")
    for domain in scorecard.domains:
        pdf.cell(width, 5, report.text(domain.name[:12]), align="C")
    pdf.ln()
    for row in scorecard.rows:
        pdf.set_font(report.family, "B" if row.is_top else "", 7)
        pdf.cell(label_width, 6, report.text(row.unit.name[:30]))
        for cell in row.cells:
            fill, ink = COLOURS[shade(cell)]
            pdf.set_fill_color(*_rgb(fill))
            pdf.set_text_color(*_rgb(ink))
            arrow = {"up": " ▲", "down": " ▼"}.get(cell.direction, "")
            label = report.text(percent(cell.score) + arrow)
            pdf.cell(width, 6, label, border=1, fill=True, align="C")
        pdf.set_text_color(0, 0, 0)
        pdf.ln()
    tested = [cell for cell in scorecard.cells if cell.is_significant]
    for cell in tested:
        unit = next(row.unit.name for row in scorecard.rows if row.unit.pk == cell.unit_id)
        domain = next(d.name for d in scorecard.domains if d.key == cell.domain_key)
        report.line(
            _("%(unit)s · %(domain)s: %(score)s, change %(change)+.1f points, adjusted p = %(p)s")
            % {
                "unit": unit,
                "domain": domain,
                "score": percent(cell.score),
                "change": cell.change,
                "p": p_text(cell.adjusted_p_value),
            },
            8,
        )


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@member_view(Permission.VIEW)
def overview_pdf(request: HttpRequest) -> HttpResponse:
    """Return the overview (of the filters' unit subtree) as a PDF attachment."""
    filters = read_filters(request)
    if filters.survey is None:
        return HttpResponse(_("There is no survey yet."), status=404, content_type="text/plain")
    overview = overview_for(request, filters)
    body = overview_report(
        overview, request.organisation.name, critical_comments(request.organisation, filters)
    )
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="overview-{filters.date_from}-{filters.date_to}.pdf"'
    )
    return response
