"""Reads of the continuum app: placements from answers and from data, history, units.

A scope (the organisation, or one unit) is placed from the latest submitted assessment of
each person who assessed it in the last twelve months: their answers are averaged
statement by statement and scored as one (``scoring.combine_answers``). Placements are
derived on every read from the stored answers, never stored themselves.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from heedback.continuum.choices import AssessmentStatus
from heedback.continuum.evidence import (
    Comparison,
    EvidencePlacement,
    EvidenceRequest,
    Measurement,
    Scope,
    compare,
    evidence_placement,
)
from heedback.continuum.instrument import (
    Factor,
    Instrument,
    Level,
    current_instrument,
    instrument_version,
)
from heedback.continuum.models import Assessment, CustomStatement
from heedback.continuum.next_steps import FactorSteps, next_steps
from heedback.continuum.registry import measure_all
from heedback.continuum.scoring import FactorResult, Placement, combine_answers, score
from heedback.continuum.stats import Correlation, pearson
from heedback.orgs.models import Organisation, Unit

#: Assessments older than this no longer count towards the current placement.
SELF_ASSESSMENT_WINDOW = timedelta(days=365)
#: The correlation uses units with at least this many customer NPS answers.
CORRELATION_MINIMUM_ANSWERS = 10


def custom_statements(organisation: Organisation) -> QuerySet[CustomStatement]:
    return CustomStatement.objects.for_org(organisation).order_by("is_retired", "factor", "level")


class Instruments:
    """The instrument versions one organisation asks, its own statements read once.

    One page or API call reads several placements; passing one of these around reads the
    organisation's statements with one query instead of one per placement.
    """

    def __init__(self, organisation: Organisation) -> None:
        self.organisation = organisation
        self._customs: list[CustomStatement] | None = None
        self._built: dict[tuple[int | None, bool], Instrument] = {}

    def get(self, version: int | None = None, *, include_retired: bool = False) -> Instrument:
        """Return a version (the current one by default) with the organisation's statements.

        Retired statements are included when scoring old answers (they still count where
        they were given) and left out of the questionnaire.
        """
        key = (version, include_retired)
        if key not in self._built:
            if self._customs is None:
                self._customs = list(
                    CustomStatement.objects.for_org(self.organisation).order_by(
                        "factor", "level", "pk"
                    )
                )
            base = current_instrument() if version is None else instrument_version(version)
            customs = [c for c in self._customs if include_retired or not c.is_retired]
            self._built[key] = base.with_statements(c.as_statement() for c in customs)
        return self._built[key]


def instrument_for(
    organisation: Organisation, *, version: int | None = None, include_retired: bool = False
) -> Instrument:
    """Return the instrument an organisation asks: a version plus its own statements."""
    return Instruments(organisation).get(version, include_retired=include_retired)


def organisation_scope(organisation: Organisation, unit: Unit | None) -> Unit | None:
    """Return the scope ``unit`` stands for: None (the whole organisation) for its only root.

    The root unit made with the organisation *is* the organisation; treating the two as
    one scope keeps a leader's assessment of "the company" and of the organisation together.
    """
    if unit is None or unit.parent_id is not None:
        return unit
    roots = Unit.objects.for_org(organisation).filter(parent__isnull=True).exclude(pk=unit.pk)
    return None if not roots.exists() else unit


def draft_for(
    organisation: Organisation, user, unit: Unit | None, *, lock: bool = False
) -> Assessment | None:
    """Return ``user``'s draft for the scope, if they have one."""
    if user is None or not user.pk:
        return None
    drafts = Assessment.objects.for_org(organisation).filter(
        respondent=user, unit=unit, status=AssessmentStatus.DRAFT
    )
    if lock:
        drafts = drafts.select_for_update()
    return drafts.first()


def drafts_of(organisation: Organisation, user) -> QuerySet[Assessment]:
    """Return ``user``'s unfinished drafts in the organisation, newest first."""
    return (
        Assessment.objects.for_org(organisation)
        .filter(respondent=user, status=AssessmentStatus.DRAFT)
        .select_related("unit")
        .order_by("-updated_at")
    )


def latest_submitted_by(organisation: Organisation, user, unit: Unit | None) -> Assessment | None:
    """Return ``user``'s most recent submitted assessment of the scope."""
    return (
        Assessment.objects.for_org(organisation)
        .filter(respondent=user, unit=unit, status=AssessmentStatus.SUBMITTED)
        .order_by("-submitted_at", "-pk")
        .first()
    )


def answers_of(assessment: Assessment) -> dict[str, int | None]:
    return {answer.statement_id: answer.agreement for answer in assessment.answers.all()}


def placement_of(assessment: Assessment, instruments: Instruments | None = None) -> Placement:
    """Score one assessment against the instrument version it answered."""
    instruments = instruments or Instruments(assessment.organisation)
    instrument = instruments.get(assessment.instrument_version, include_retired=True)
    return score(instrument, _known(instrument, answers_of(assessment)))


@dataclass(frozen=True)
class SelfAssessment:
    """The combined self-assessment of a scope: its placement and who it rests on."""

    placement: Placement | None
    respondents: int
    latest_at: datetime | None
    roles: dict[str, int]


NO_SELF_ASSESSMENT = SelfAssessment(None, 0, None, {})


def self_assessments(
    organisation: Organisation,
    unit_ids: Iterable[int | None],
    *,
    as_of: datetime,
    instruments: Instruments | None = None,
) -> dict[int | None, SelfAssessment]:
    """Return the combined self-assessment of each scope (None is the whole organisation)."""
    wanted = set(unit_ids)
    assessments = _submitted(organisation).filter(
        submitted_at__gt=as_of - SELF_ASSESSMENT_WINDOW, submitted_at__lte=as_of
    )
    by_scope: dict[int | None, list[Assessment]] = {}
    for assessment in assessments:
        if assessment.unit_id in wanted:
            by_scope.setdefault(assessment.unit_id, []).append(assessment)
    instruments = instruments or Instruments(organisation)
    return {
        scope: _combine(by_scope[scope], instruments) if scope in by_scope else NO_SELF_ASSESSMENT
        for scope in wanted
    }


def _submitted(organisation: Organisation) -> QuerySet[Assessment]:
    return (
        Assessment.objects.for_org(organisation)
        .filter(status=AssessmentStatus.SUBMITTED)
        .prefetch_related("answers")
        .order_by("-submitted_at", "-pk")
    )


def _respondent_key(assessment: Assessment) -> object:
    if assessment.respondent_id is not None:
        return assessment.respondent_id
    return ("label", assessment.respondent_label)


def _combine(newest_first: list[Assessment], instruments: Instruments) -> SelfAssessment:
    """Score the latest assessment of each respondent together, on the newest version."""
    latest: dict[object, Assessment] = {}
    for assessment in newest_first:
        latest.setdefault(_respondent_key(assessment), assessment)
    chosen = list(latest.values())
    version = max(assessment.instrument_version for assessment in chosen)
    instrument = instruments.get(version, include_retired=True)
    combined = combine_answers(_known(instrument, answers_of(item)) for item in chosen)
    return SelfAssessment(
        placement=score(instrument, combined),
        respondents=len(chosen),
        latest_at=max(assessment.submitted_at for assessment in chosen),
        roles=dict(Counter(assessment.respondent_role for assessment in chosen)),
    )


def _known(instrument: Instrument, answers: dict[str, int | None]) -> dict[str, int | None]:
    """Keep the answers to statements this instrument version has (older ones drop out)."""
    return {key: value for key, value in answers.items() if instrument.statement(key)}


@dataclass(frozen=True)
class HistoryPoint:
    """The combined placement of the assessments submitted in one month."""

    month: date
    placement: Placement
    respondents: int


def placement_history(
    organisation: Organisation, unit: Unit | None, instruments: Instruments | None = None
) -> list[HistoryPoint]:
    """Return one placement per month in which the scope was assessed, oldest first."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    by_month: dict[date, list[Assessment]] = {}
    for assessment in _submitted(organisation).filter(unit=unit):
        local = assessment.submitted_at.astimezone(zone)
        by_month.setdefault(date(local.year, local.month, 1), []).append(assessment)
    instruments = instruments or Instruments(organisation)
    points = []
    for month in sorted(by_month):
        combined = _combine(by_month[month], instruments)
        points.append(HistoryPoint(month, combined.placement, combined.respondents))
    return points


def scope_of(unit: Unit | None) -> Scope:
    if unit is None:
        return Scope(None, "", "")
    return Scope(unit.pk, unit.path, unit.name)


def evidence_for(
    organisation: Organisation, units: Sequence[Unit | None], *, as_of: datetime
) -> list[EvidencePlacement]:
    """Measure every registered indicator for each scope and place each from the evidence."""
    request = EvidenceRequest(organisation, tuple(scope_of(unit) for unit in units), as_of)
    weights = current_instrument().scoring.factor_weights
    return [evidence_placement(results, weights) for results in measure_all(request)]


@dataclass(frozen=True)
class FactorReport:
    factor: Factor
    self_result: FactorResult | None
    evidence_level: Level | None
    comparison: Comparison
    steps: FactorSteps


@dataclass(frozen=True)
class PlacementReport:
    """Everything the placement page and ``GET /continuum/placement`` show for one scope."""

    unit: Unit | None
    as_of: datetime
    instrument: Instrument
    self_assessment: SelfAssessment
    evidence: EvidencePlacement
    factors: tuple[FactorReport, ...]
    overall_comparison: Comparison


def placement_report(
    organisation: Organisation,
    unit: Unit | None,
    *,
    as_of: datetime | None = None,
    instruments: Instruments | None = None,
) -> PlacementReport:
    """Compose the self-assessed and evidence placements of a scope with the next steps."""
    as_of = as_of or timezone.now()
    instruments = instruments or Instruments(organisation)
    unit_id = unit.pk if unit is not None else None
    own = self_assessments(organisation, [unit_id], as_of=as_of, instruments=instruments)
    own = own[unit_id]
    evidence = evidence_for(organisation, [unit], as_of=as_of)[0]
    instrument = instruments.get()
    factors = []
    for factor in Factor:
        self_result = own.placement.factor(factor) if own.placement else None
        factor_evidence = evidence.factor(factor)
        factors.append(
            FactorReport(
                factor=factor,
                self_result=self_result,
                evidence_level=factor_evidence.level,
                comparison=compare(
                    self_result.level if self_result else None, factor_evidence.level
                ),
                steps=next_steps(instrument, factor, self_result, factor_evidence),
            )
        )
    self_overall = own.placement.overall.level if own.placement else None
    return PlacementReport(
        unit=unit,
        as_of=as_of,
        instrument=instrument,
        self_assessment=own,
        evidence=evidence,
        factors=tuple(factors),
        overall_comparison=compare(self_overall, evidence.overall.level),
    )


@dataclass(frozen=True)
class UnitRow:
    unit: Unit
    self_assessment: SelfAssessment
    evidence: EvidencePlacement

    def measurement(self, key: str) -> Measurement | None:
        for factor in self.evidence.factors:
            for result in factor.results:
                if result.indicator.key == key:
                    return result.measurement
        return None


@dataclass(frozen=True)
class UnitOverview:
    rows: list[UnitRow]
    correlation: Correlation


def unit_overview(
    organisation: Organisation, units: Sequence[Unit], *, as_of: datetime | None = None
) -> UnitOverview:
    """Place every unit from its own assessments and its data, and relate eNPS to NPS."""
    as_of = as_of or timezone.now()
    scopes = {
        unit.pk: None if organisation_scope(organisation, unit) is None else unit.pk
        for unit in units
    }
    own = self_assessments(organisation, set(scopes.values()), as_of=as_of)
    evidence = evidence_for(organisation, list(units), as_of=as_of)
    rows = [
        UnitRow(unit, own[scopes[unit.pk]], placed)
        for unit, placed in zip(units, evidence, strict=True)
    ]
    return UnitOverview(rows, _employee_customer_correlation(rows))


def _employee_customer_correlation(rows: list[UnitRow]) -> Correlation:
    """Correlate eNPS with customer NPS across the leaf units where both can be shown."""
    parents = {row.unit.parent_id for row in rows}
    pairs = []
    for row in rows:
        if row.unit.pk in parents:
            continue  # a parent's figures repeat its children's
        enps, customer = row.measurement("enps"), row.measurement("customer_nps")
        if enps is None or customer is None or enps.value is None or customer.value is None:
            continue
        if (customer.n or 0) >= CORRELATION_MINIMUM_ANSWERS:
            pairs.append((enps.value, customer.value))
    return pearson(pairs)
