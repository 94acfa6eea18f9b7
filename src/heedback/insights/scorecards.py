"""Domain scorecards: per unit and domain of satisfaction, score, n, trend and significance.

A domain's score is the share of *favourable* answers to the survey's questions bound to
that domain: the top two points of a rating or CES scale, promoters (9–10) of an NPS
question, "yes" of a yes/no question. One share puts questions on different scales into
one figure a manager can compare across domains, and it is a proportion, so its change
against the previous period of the same length is a two-proportion test. n counts answers
(a response rating two questions of a domain counts twice), as the results page does.

Each row is a unit's whole subtree: the chosen unit (the organisation by default, a
manager's own unit for a manager) and each of its direct children. The figures come from
the metric engine's histogram reader (``histograms.answer_counts``, rollups plus the tail)
grouped by unit, once for the period and once for the previous one, and are summed up the
tree here, so a heatmap costs two reads of O(periods × units) rows whatever the volume.

Every cell with enough answers in both periods is tested, and the p-values are adjusted
over all cells of the heatmap at once (Benjamini–Hochberg by default, Holm on request): a
cell is flagged only on its adjusted p. Cells under the organisation's minimum sample are
marked small, never tested and never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from heedback.insights import histograms, significance
from heedback.insights.comparisons import previous_period
from heedback.insights.histograms import Counts
from heedback.insights.selectors import survey_questions
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.definition import DOMAIN_TYPES, Question, QuestionType
from heedback.surveys.models import Survey
from heedback.surveys.selectors import domains_of


@dataclass(frozen=True)
class ScorecardQuery:
    """Which heatmap: a survey, a period, the unit whose children are the rows."""

    organisation: Organisation
    survey: Survey
    date_from: date
    date_to: date
    unit: Unit  # the top row; its direct children are the other rows
    correction: str = "bh"


@dataclass(frozen=True)
class Cell:
    """One unit × domain: this period's score and n, the previous period's, the test."""

    unit_id: int
    domain_key: str
    score: float | None  # percent favourable
    n: int
    previous_score: float | None
    previous_n: int
    is_small: bool
    change: float | None = None  # percentage points, this period minus the previous one
    p_value: float | None = None
    adjusted_p_value: float | None = None
    relative: float | None = None  # points above (+) or below (−) the top row's score

    @property
    def is_significant(self) -> bool:
        return self.adjusted_p_value is not None and self.adjusted_p_value < significance.ALPHA

    @property
    def direction(self) -> str:
        """Return "up" or "down" for a significant change, "" otherwise."""
        if not self.is_significant or self.change is None:
            return ""
        return "up" if self.change > 0 else "down"


@dataclass(frozen=True)
class ScorecardDomain:
    key: str
    name: str


@dataclass(frozen=True)
class ScorecardRow:
    unit: Unit
    is_top: bool
    cells: list[Cell]


@dataclass
class Scorecard:
    """The heatmap's content; every surface (page, CSV, API, PDF) reads this one value."""

    query: ScorecardQuery
    previous_from: date
    previous_to: date
    minimum_sample: int
    domains: list[ScorecardDomain]
    rows: list[ScorecardRow] = field(default_factory=list)

    @property
    def cells(self) -> list[Cell]:
        return [cell for row in self.rows for cell in row.cells]

    @property
    def tested_count(self) -> int:
        return sum(cell.p_value is not None for cell in self.cells)


def domain_questions(survey: Survey) -> dict[str, list[Question]]:
    """Return the survey's scorable questions bound to a domain, by domain key."""
    bound: dict[str, list[Question]] = {}
    for question in survey_questions(survey):
        if question.domain and question.type in DOMAIN_TYPES:
            bound.setdefault(question.domain, []).append(question)
    return bound


def favourable(question: Question, counts: Counts) -> tuple[int, int]:
    """Return (favourable answers, answers) of one question's histogram."""
    histogram = counts.histogram
    n = sum(histogram.values())
    if question.type == QuestionType.YES_NO:
        return histogram.get(1, 0), n
    scale = question.effective_scale()
    return significance.favourable_count(histogram, scale.max), n


def build_scorecard(query: ScorecardQuery) -> Scorecard:
    """Return the heatmap of ``query.unit`` and its children × the survey's domains."""
    organisation = query.organisation
    bound = domain_questions(query.survey)
    domains = [
        ScorecardDomain(domain.key, domain.name)
        for domain in domains_of(organisation)
        if domain.key in bound
    ]
    previous_from, previous_to = previous_period(query.date_from, query.date_to)
    scorecard = Scorecard(
        query, previous_from, previous_to, organisation.minimum_sample, domains, []
    )
    units = list(
        Unit.objects.for_org(organisation).filter(path__startswith=query.unit.path).order_by("path")
    )
    keys = [question.key for domain in domains for question in bound[domain.key]]
    if not keys:
        scorecard.rows = [ScorecardRow(query.unit, True, [])]
        return scorecard
    now = _favourable_by_unit(bound, _per_unit(query, keys, query.date_from, query.date_to))
    before = _favourable_by_unit(bound, _per_unit(query, keys, previous_from, previous_to))
    paths = {unit.pk: unit.path for unit in units}
    row_units = [query.unit, *(unit for unit in units if unit.parent_id == query.unit.pk)]
    for unit in row_units:
        members = [pk for pk, path in paths.items() if path.startswith(unit.path)]
        cells = [_cell(unit.pk, domain.key, now, before, members, scorecard) for domain in domains]
        scorecard.rows.append(ScorecardRow(unit, unit.pk == query.unit.pk, cells))
    _adjust(scorecard, query.correction)
    return scorecard


def _per_unit(query: ScorecardQuery, keys: list[str], first: date, last: date):
    scope = histograms.Scope(
        organisation_id=query.organisation.pk,
        survey_id=query.survey.pk,
        unit_path=query.unit.path,
        date_from=first,
        date_to=last,
    )
    return histograms.answer_counts(scope, keys, "unit")


def _favourable_by_unit(
    bound: dict[str, list[Question]], counted
) -> dict[int, dict[str, tuple[int, int]]]:
    """Return ``{unit_id: {domain_key: (favourable, answers)}}`` of each unit's own answers.

    Each unit is scored once; a row (a unit's subtree) then adds its members' pairs.
    """
    scored: dict[int, dict[str, tuple[int, int]]] = {}
    for unit_id, by_key in counted.items():
        per_domain = scored.setdefault(unit_id, {})
        for domain_key, questions in bound.items():
            good_total = n_total = 0
            for question in questions:
                counts = by_key.get(question.key)
                if counts is not None:
                    good, n = favourable(question, counts)
                    good_total += good
                    n_total += n
            per_domain[domain_key] = (good_total, n_total)
    return scored


def _sum(domain_key: str, scored, members) -> tuple[int, int]:
    favourable_total = n_total = 0
    for unit_id in members:
        good, n = scored.get(unit_id, {}).get(domain_key, (0, 0))
        favourable_total += good
        n_total += n
    return favourable_total, n_total


def _cell(unit_id, domain_key, now, before, members, scorecard: Scorecard) -> Cell:
    good, n = _sum(domain_key, now, members)
    good_before, n_before = _sum(domain_key, before, members)
    minimum = scorecard.minimum_sample
    score = 100.0 * good / n if n else None
    previous = 100.0 * good_before / n_before if n_before else None
    cell = Cell(unit_id, domain_key, score, n, previous, n_before, n < minimum)
    if n >= minimum and n_before >= minimum:
        comparison = significance.two_proportions(good, n, good_before, n_before)
        cell = replace(cell, change=comparison.difference, p_value=comparison.p_value)
    elif score is not None and previous is not None:
        cell = replace(cell, change=score - previous)
    return cell


def _adjust(scorecard: Scorecard, correction: str) -> None:
    """Adjust the p-values over every tested cell; set each cell's distance to the top row."""
    tested = [cell for cell in scorecard.cells if cell.p_value is not None]
    adjusted = dict(
        zip(
            [id(cell) for cell in tested],
            significance.adjust([cell.p_value for cell in tested], correction),
            strict=True,
        )
    )
    top = {cell.domain_key: cell for cell in scorecard.rows[0].cells}
    for row in scorecard.rows:
        cells = []
        for cell in row.cells:
            reference = top[cell.domain_key]
            relative = None
            if not row.is_top and not cell.is_small and cell.score is not None:
                relative = cell.score - reference.score if reference.score is not None else None
            cells.append(replace(cell, adjusted_p_value=adjusted.get(id(cell)), relative=relative))
        row.cells[:] = cells
