"""Internal customers: the employee pulse per unit beside that unit's customer scores.

The service-profit chain, measured in the organisation's own data: for each unit, eNPS and
the pulse's ratings (training, authority to fix problems, tools, recognition) beside the
customer NPS and CSAT, and the correlation across units between the two.

Every figure is read through the insights metric engine (``compute_metric``, grouped by
unit), so it is the number the results page and ``GET /api/v1/metrics`` give, read from
the rollups. Employee answers are confidential: the engine itself blanks a pulse cell of
fewer than five answers, this module marks it withheld (no value, no count), and it also
withholds the total of a measure when the withheld units together hold between one and
four answers, since the total minus the units shown would give them away.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.continuum.stats import FEW_UNITS, Correlation, pearson, spearman
from heedback.insights.selectors import MetricQuery, compute_metric, survey_questions
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.choices import SurveyKind, SurveyStatus
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS
from heedback.surveys.definition import QuestionType
from heedback.surveys.models import Survey

#: A unit enters the correlation with at least this many customer answers (and a pulse of 5+).
CORRELATION_MINIMUM_ANSWERS = 10

#: Short names of the built-in pulse's ratings (other rating questions show their text).
PULSE_LABELS = {
    "enps": gettext_lazy("eNPS"),
    "training": gettext_lazy("Training"),
    "authority": gettext_lazy("Authority to fix problems"),
    "tools": gettext_lazy("Tools"),
    "recognition": gettext_lazy("Recognition"),
}


@dataclass(frozen=True)
class Measure:
    """One column: a metric of one question of the pulse or of the customer survey."""

    key: str
    label: str
    metric: str  # "nps" or "csat" (share at the top two points of the scale)
    question_key: str
    is_employee: bool


@dataclass(frozen=True)
class Cell:
    """A measure's figure for one unit; ``is_withheld`` means neither value nor n is shown."""

    value: float | None = None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    is_withheld: bool = False


WITHHELD = Cell(is_withheld=True)
EMPTY = Cell(n=0)


@dataclass(frozen=True)
class UnitLine:
    unit: Unit | None  # None for the total of every unit in view
    respondents: Cell
    cells: dict[str, Cell]


@dataclass(frozen=True)
class CorrelationRow:
    """How one employee measure relates to the customer measure across units."""

    measure: Measure
    pearson: Correlation
    spearman: Correlation
    pairs: list[tuple[Unit, float, float]] = field(default_factory=list)


@dataclass(frozen=True)
class InternalReport:
    pulse: Survey | None
    customer_survey: Survey | None
    date_from: date | None
    date_to: date | None
    employee_measures: list[Measure]
    customer_measures: list[Measure]
    lines: list[UnitLine]
    total: UnitLine | None
    correlations: list[CorrelationRow]

    @property
    def measures(self) -> list[Measure]:
        return self.employee_measures + self.customer_measures

    @property
    def customer_headline(self) -> Measure | None:
        return self.customer_measures[0] if self.customer_measures else None

    @property
    def headline(self) -> CorrelationRow | None:
        return self.correlations[0] if self.correlations else None


def pulse_surveys(organisation: Organisation):
    """Return the employee surveys that have been published, newest first."""
    return Survey.objects.for_org(organisation).filter(
        kind=SurveyKind.EMPLOYEE, published_version__isnull=False
    )


def customer_surveys(organisation: Organisation):
    """Return the published customer surveys, newest first."""
    return Survey.objects.for_org(organisation).filter(
        kind=SurveyKind.CUSTOMER, published_version__isnull=False
    )


def default_survey(surveys) -> Survey | None:
    """Return the survey a page opens with: the newest open one, else the newest at all."""
    surveys = list(surveys)
    return next((s for s in surveys if s.status == SurveyStatus.PUBLISHED), None) or next(
        iter(surveys), None
    )


def employee_measures(pulse: Survey | None) -> list[Measure]:
    """Return the pulse's first recommend question as eNPS, then each rating question."""
    if pulse is None:
        return []
    questions = survey_questions(pulse)
    measures = []
    first_nps = next((q for q in questions if q.type == QuestionType.NPS), None)
    if first_nps is not None:
        measures.append(Measure("enps", str(PULSE_LABELS["enps"]), "nps", first_nps.key, True))
    for question in questions:
        if question.type == QuestionType.RATING:
            label = str(PULSE_LABELS.get(question.key, question.text))
            measures.append(Measure(question.key, label, "csat", question.key, True))
    return measures


def customer_measures(survey: Survey | None) -> list[Measure]:
    """Return the customer survey's first recommend question (NPS) and first rating (CSAT)."""
    if survey is None:
        return []
    questions = survey_questions(survey)
    measures = []
    first_nps = next((q for q in questions if q.type == QuestionType.NPS), None)
    if first_nps is not None:
        measures.append(Measure("customer_nps", _("Customer NPS"), "nps", first_nps.key, False))
    first_rating = next((q for q in questions if q.type == QuestionType.RATING), None)
    if first_rating is not None:
        measures.append(
            Measure("customer_csat", _("Customer CSAT"), "csat", first_rating.key, False)
        )
    return measures


def internal_customers(
    organisation: Organisation,
    *,
    pulse: Survey | None,
    customer_survey: Survey | None,
    date_from: date | None = None,
    date_to: date | None = None,
    units: Sequence[Unit] = (),
    visible_unit_paths: tuple[str, ...] | None = None,
) -> InternalReport:
    """Return the pulse and the customer scores of every unit in ``units``, side by side.

    A unit's figures are its own responses (not its subtree's): a parent's would repeat
    its children's. The total covers every unit the reader may see.
    """

    def query(survey: Survey, metric: str, question_key: str | None, group_by: str):
        return MetricQuery(
            organisation=organisation,
            survey=survey,
            metric=metric,
            question_key=question_key,
            group_by=group_by,
            date_from=date_from,
            date_to=date_to,
            visible_unit_paths=visible_unit_paths,
        )

    employee, customer = employee_measures(pulse), customer_measures(customer_survey)
    by_unit: dict[str, dict[str, Cell]] = {}
    totals: dict[str, Cell] = {}
    respondents: dict[str, Cell] = {}
    respondent_total = EMPTY
    if pulse is not None:
        respondents = _cells(compute_metric(query(pulse, "count", None, "unit")), True)
        whole = compute_metric(query(pulse, "count", None, "none"))
        respondent_total = _total(_cells(whole, True).get("", EMPTY), respondents)
    for measure in employee + customer:
        survey = pulse if measure.is_employee else customer_survey
        grouped = compute_metric(query(survey, measure.metric, measure.question_key, "unit"))
        by_unit[measure.key] = _cells(grouped, measure.is_employee)
        whole = compute_metric(query(survey, measure.metric, measure.question_key, "none"))
        total = _cells(whole, measure.is_employee).get("", EMPTY)
        totals[measure.key] = _total(total, by_unit[measure.key]) if measure.is_employee else total
    lines = []
    for unit in units:
        key = str(unit.pk)
        cells = {measure.key: by_unit[measure.key].get(key, EMPTY) for measure in employee}
        withheld = respondents.get(key, EMPTY).is_withheld
        if withheld:  # a unit of too few respondents shows none of its pulse, whatever n
            cells = dict.fromkeys(cells, WITHHELD)
        cells |= {measure.key: by_unit[measure.key].get(key, EMPTY) for measure in customer}
        lines.append(UnitLine(unit, respondents.get(key, EMPTY), cells))
    total_line = UnitLine(None, respondent_total, totals) if (employee or customer) else None
    correlations = _correlations(lines, employee, customer[0] if customer else None)
    return InternalReport(
        pulse=pulse,
        customer_survey=customer_survey,
        date_from=date_from,
        date_to=date_to,
        employee_measures=employee,
        customer_measures=customer,
        lines=lines,
        total=total_line,
        correlations=correlations,
    )


def _cells(result, is_employee: bool) -> dict[str, Cell]:
    """Return the engine's rows by group key; an employee row without a value is withheld."""
    cells = {}
    for row in result.rows:
        key = row.group or ""
        if is_employee and row.n and row.value is None:
            cells[key] = WITHHELD
        else:
            cells[key] = Cell(row.value, row.n, row.ci_low, row.ci_high)
    return cells


def _total(total: Cell, units: dict[str, Cell]) -> Cell:
    """Withhold a total that, minus the units shown, would reveal fewer than five answers."""
    if total.is_withheld or not total.n:
        return total
    shown = sum(cell.n or 0 for cell in units.values() if not cell.is_withheld)
    hidden = total.n - shown
    return WITHHELD if 0 < hidden < MINIMUM_RESPONDENTS else total


def _correlations(
    lines: list[UnitLine], employee: list[Measure], customer: Measure | None
) -> list[CorrelationRow]:
    """Relate each employee measure to the customer headline across the units showing both."""
    if customer is None:
        return []
    rows = []
    for measure in employee:
        pairs = []
        for line in lines:
            staff, customers = line.cells[measure.key], line.cells[customer.key]
            if staff.is_withheld or staff.value is None or customers.value is None:
                continue
            if (customers.n or 0) >= CORRELATION_MINIMUM_ANSWERS:
                pairs.append((line.unit, staff.value, customers.value))
        values = [(x, y) for _unit, x, y in pairs]
        rows.append(CorrelationRow(measure, pearson(values), spearman(values), pairs))
    return rows


def caveat(correlation: Correlation) -> str:
    """Return the honest sentence a correlation needs: how much (or little) it can say."""
    if correlation.r is None:
        return _(
            "Needs at least three units that each have an employee pulse of %(minimum)d or "
            "more respondents and %(answers)d or more customer answers."
        ) % {"minimum": MINIMUM_RESPONDENTS, "answers": CORRELATION_MINIMUM_ANSWERS}
    if correlation.low is None:
        return _(
            "With %(n)d units no interval can be computed: this is no evidence either way yet."
        ) % {"n": correlation.n}
    if correlation.is_few:
        return _(
            "Only %(n)d units (fewer than %(few)d): the 95%% interval runs from %(low).2f to "
            "%(high).2f, so this says little either way yet."
        ) % {
            "n": correlation.n,
            "few": FEW_UNITS,
            "low": correlation.low,
            "high": correlation.high,
        }
    if correlation.low <= 0 <= correlation.high:
        return _(
            "The 95%% interval (%(low).2f to %(high).2f) includes zero: no clear relation."
        ) % {"low": correlation.low, "high": correlation.high}
    return _(
        "The 95%% interval runs from %(low).2f to %(high).2f. A correlation across units "
        "does not show which causes which."
    ) % {"low": correlation.low, "high": correlation.high}
