"""Read the perception gap: staff self-assessments beside customer ratings, domain by domain.

Both sides come from the answer histograms of the rollups (``histograms.answer_counts``, by
unit: one statement per survey), so the page costs O(days × units) like every dashboard.
Staff answer the organisation's self-assessment surveys, customers its customer surveys;
a side's rating of a domain is every rating question bound to that domain, each put on a
0–100 score so that different scales add up. Only rating questions count: an NPS or a
yes/no is not a rating of how well a domain is delivered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from heedback.insights import gap, histograms
from heedback.insights.drivers import Moments
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.choices import SurveyKind
from heedback.surveys.definition import QuestionType
from heedback.surveys.models import Survey
from heedback.surveys.selectors import domains_of

SIDES = {SurveyKind.SELF_ASSESSMENT: "staff", SurveyKind.CUSTOMER: "customers"}


@dataclass(frozen=True)
class GapQuery:
    organisation: Organisation
    unit: Unit | None = None
    date_from: date | None = None
    date_to: date | None = None
    visible_unit_paths: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UnitGap:
    unit: Unit
    cells: list[gap.GapCell]


@dataclass(frozen=True)
class GapResult:
    """The organisation's (or the chosen subtree's) gap per domain, then each unit's."""

    domain_names: dict[str, str]
    total: list[gap.GapCell]
    units: list[UnitGap]
    surveys: dict[str, list[Survey]]

    def sentence(self, cell: gap.GapCell) -> str:
        """Return the plain sentence for a cell: how we rate ourselves, what customers say."""
        text = _(
            "We rate ourselves %(staff).0f on %(domain)s; our customers say %(customers).0f."
        ) % {
            "staff": cell.staff.mean,
            "domain": self.domain_names.get(cell.domain, cell.domain).lower(),
            "customers": cell.customers.mean,
        }
        if cell.is_small:
            return text + " " + _("Too few answers to tell.")
        if cell.is_significant:
            return text + " " + _("The gap is significant.")
        return text + " " + _("The difference could be chance.")


def perception_gap(query: GapQuery) -> GapResult:
    """Return the perception gap of the organisation and of each unit with answers."""
    domain_names = dict(domains_of(query.organisation).values_list("key", "name"))
    order = list(domain_names)
    surveys = (
        Survey.objects.for_org(query.organisation)
        .filter(kind__in=list(SIDES), published_version__isnull=False)
        .select_related("published_version")
        .order_by("name", "pk")
    )
    totals: dict[str, dict] = {"staff": {}, "customers": {}}
    by_unit: dict[str, dict] = {"staff": defaultdict(dict), "customers": defaultdict(dict)}
    used: dict[str, list[Survey]] = {"staff": [], "customers": []}
    for survey in surveys:
        side = SIDES[survey.kind]
        if _add_survey(query, survey, totals[side], by_unit[side]):
            used[side].append(survey)
    minimum = query.organisation.minimum_sample
    total = gap.compare(
        gap.both_sides(totals["staff"], totals["customers"], order), minimum_customers=minimum
    )
    unit_ids = sorted(set(by_unit["staff"]) & set(by_unit["customers"]))
    units = Unit.objects.in_bulk(unit_ids)
    triples = [
        (unit_id, cell)
        for unit_id in unit_ids
        for cell in gap.both_sides(by_unit["staff"][unit_id], by_unit["customers"][unit_id], order)
    ]
    compared = gap.compare([cell for _unit, cell in triples], minimum_customers=minimum)
    grouped: dict[int, list[gap.GapCell]] = defaultdict(list)
    for (unit_id, _cell), result in zip(triples, compared, strict=True):
        grouped[unit_id].append(result)
    unit_rows = sorted(
        (UnitGap(units[unit_id], cells) for unit_id, cells in grouped.items()),
        key=lambda row: row.unit.path,
    )
    return GapResult(domain_names, total, unit_rows, used)


def _add_survey(query: GapQuery, survey: Survey, total: dict, by_unit: dict) -> bool:
    """Add a survey's domain ratings to one side, per unit and in total; False if it has none."""
    questions = [
        question
        for question in survey.published_version.parsed().questions
        if question.domain and question.type == QuestionType.RATING
    ]
    if not questions:
        return False
    scope = histograms.Scope(
        organisation_id=query.organisation.pk,
        survey_id=survey.pk,
        unit_path=query.unit.path if query.unit is not None else None,
        visible_unit_paths=query.visible_unit_paths,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    counted = histograms.answer_counts(scope, [q.key for q in questions], "unit")
    for unit_id, by_key in counted.items():
        for question in questions:
            counts = by_key.get(question.key)
            if counts is None or not counts.histogram:
                continue
            scale = question.effective_scale()
            moments = Moments.of_histogram(counts.histogram, scale.min, scale.max)
            gap.add_moments(total, question.domain, moments)
            gap.add_moments(by_unit[unit_id], question.domain, moments)
    return True
