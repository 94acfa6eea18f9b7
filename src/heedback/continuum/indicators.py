"""The evidence indicators Heedback can measure today, and placeholders for those it cannot yet.

Every built-in indicator reads one *snapshot*: a fixed number of grouped queries over the
organisation's surveys and responses, counted per unit inside the database, then summed per
scope in Python. A page showing one scope and a page showing every unit cost the same
queries. The windows and the bands (which value supports which level) are data below, and
docs/continuum.md gives the reason for each.

Employee answers are confidential: an indicator built on them is withheld for any scope
with fewer than ``CONFIDENTIALITY_MINIMUM`` respondents.

The counts read raw responses over a bounded window (90 to 365 days); they move to the
insights rollups when those land, without changing an indicator's meaning.
"""

from __future__ import annotations

import math
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from heedback.collect.models import Answer, Response
from heedback.continuum.evidence import (
    CONFIDENTIALITY_MINIMUM,
    EvidenceRequest,
    Indicator,
    Measurement,
    Scope,
    Status,
    level_from_bands,
)
from heedback.continuum.instrument import Factor, Level
from heedback.customers.models import Interaction
from heedback.insights.driver_usage import DriverUseSurface, driver_analysis_uses
from heedback.insights.metrics import METRICS, format_value, nps
from heedback.orgs.models import Unit
from heedback.surveys.choices import SurveyKind
from heedback.surveys.definition import QuestionType, SurveyDefinition
from heedback.surveys.models import SurveyVersion

CUSTOMER_WINDOW = timedelta(days=90)
PULSE_WINDOW = timedelta(days=180)
GAP_WINDOW = timedelta(days=365)
DRIVER_WINDOW = timedelta(days=90)
DRIVER_HABIT_MONTHS = 2  # of the three 30-day months in the window
REGULARITY_WEEKS = 13

# (lower bound, level): the highest level a value supports. CENTRIC on the top band means the
# indicator does not hold the organisation back at all.
COVERAGE_BANDS = [
    (-math.inf, Level.HOSTILE),
    (1e-9, Level.AWARE),
    (50.0, Level.FRIENDLY),
    (90.0, Level.CENTRIC),
]
VOLUME_BANDS = [
    (-math.inf, Level.HOSTILE),
    (1e-9, Level.AWARE),
    (1.0, Level.FRIENDLY),
    (8.0, Level.CENTRIC),
]
REGULARITY_BANDS = [
    (-math.inf, Level.HOSTILE),
    (1, Level.AWARE),
    (6, Level.FRIENDLY),
    (12, Level.CENTRIC),
]
NPS_BANDS = [
    (-math.inf, Level.HOSTILE),
    (-20.0, Level.AWARE),
    (0.0, Level.FRIENDLY),
    (30.0, Level.FOCUSED),
    (50.0, Level.CENTRIC),
]
ENPS_BANDS = [
    (-math.inf, Level.HOSTILE),
    (-20.0, Level.AWARE),
    (0.0, Level.FRIENDLY),
    (15.0, Level.FOCUSED),
    (35.0, Level.CENTRIC),
]
INTERACTION_BANDS = [  # responses per 100 interactions
    (-math.inf, Level.HOSTILE),
    (1e-9, Level.AWARE),
    (5.0, Level.FRIENDLY),
    (15.0, Level.FOCUSED),
    (30.0, Level.CENTRIC),
]
ENABLEMENT_BANDS = [
    (-math.inf, Level.HOSTILE),
    (30.0, Level.AWARE),
    (50.0, Level.FRIENDLY),
    (70.0, Level.FOCUSED),
    (85.0, Level.CENTRIC),
]


@dataclass
class UnitFacts:
    """What the snapshot knows about one unit (not its subtree)."""

    customer_responses: int = 0
    touchpoints: set[int] = field(default_factory=set)
    feedback_dates: set[date] = field(default_factory=set)
    nps: Counter = field(default_factory=Counter)
    pulse_respondents: int = 0
    enps: Counter = field(default_factory=Counter)
    pulse_top_box: Counter = field(default_factory=Counter)  # question key → answers at 4-5
    pulse_rated: Counter = field(default_factory=Counter)  # question key → answers
    staff_domains: set[str] = field(default_factory=set)
    customer_domains: set[str] = field(default_factory=set)


@dataclass
class Snapshot:
    """Per-unit facts of one organisation at one moment, summed per scope on demand."""

    paths: dict[int, str]
    leaves: set[int]
    facts: dict[int, UnitFacts]
    today: date
    minimum_sample: int
    _members: dict[str, list[int]] = field(default_factory=dict)

    def units_in(self, scope: Scope) -> list[int]:
        """Return the units of the scope's subtree (remembered: every indicator asks)."""
        members = self._members.get(scope.path)
        if members is None:
            members = [unit_id for unit_id, path in self.paths.items() if scope.contains(path)]
            self._members[scope.path] = members
        return members

    def leaves_in(self, scope: Scope) -> list[int]:
        return [unit_id for unit_id in self.units_in(scope) if unit_id in self.leaves]

    def facts_in(self, scope: Scope) -> list[UnitFacts]:
        return [self.facts[unit_id] for unit_id in self.units_in(scope)]


@dataclass(frozen=True)
class _Catalog:
    """Which question of which published version is an NPS, a rating or bound to a domain."""

    kinds: dict[int, str]
    nps: set[tuple[int, str]]
    ratings: dict[tuple[int, str], int]
    domains: dict[tuple[int, str], str]


def snapshot(request: EvidenceRequest) -> Snapshot:
    """Return the request's snapshot, reading it on first use (shared by every indicator)."""
    cached = request.memo.get("continuum.snapshot")
    if cached is None:
        cached = _read_snapshot(request)
        request.memo["continuum.snapshot"] = cached
    return cached


def _read_snapshot(request: EvidenceRequest) -> Snapshot:
    organisation = request.organisation
    units = list(Unit.objects.for_org(organisation).values_list("pk", "path", "parent_id"))
    parents = {parent for _pk, _path, parent in units if parent is not None}
    facts = {pk: UnitFacts() for pk, _path, _parent in units}
    catalog = _catalog(organisation)
    _count_customer_responses(request, facts)
    _count_answers(request, catalog, facts)
    _count_pulse_respondents(request, facts)
    today = request.as_of.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    return Snapshot(
        paths={pk: path for pk, path, _parent in units},
        leaves={pk for pk, _path, _parent in units if pk not in parents},
        facts=facts,
        today=today,
        minimum_sample=organisation.minimum_sample,
    )


def _catalog(organisation) -> _Catalog:
    kinds, nps_questions, ratings, domains = {}, set(), {}, {}
    versions = SurveyVersion.objects.for_org(organisation).filter(
        published_at__isnull=False,
        survey__kind__in=[SurveyKind.CUSTOMER, SurveyKind.EMPLOYEE, SurveyKind.SELF_ASSESSMENT],
    )
    for pk, kind, definition in versions.values_list("pk", "survey__kind", "definition"):
        kinds[pk] = kind
        questions = SurveyDefinition.model_validate(definition).questions
        # The first recommend question is the survey's headline NPS, as on the results page.
        first_nps = next((q for q in questions if q.type == QuestionType.NPS), None)
        if first_nps is not None:
            nps_questions.add((pk, first_nps.key))
        for question in questions:
            if question.type == QuestionType.RATING and kind == SurveyKind.EMPLOYEE:
                ratings[(pk, question.key)] = question.effective_scale().max
            if question.domain:
                domains[(pk, question.key)] = question.domain
    return _Catalog(kinds, nps_questions, ratings, domains)


def _responses(request: EvidenceRequest, kind: str, window: timedelta):
    return Response.objects.filter(
        organisation=request.organisation,
        survey__kind=kind,
        submitted_at__gt=request.as_of - window,
        submitted_at__lte=request.as_of,
    ).order_by()


def _count_customer_responses(request: EvidenceRequest, facts: dict[int, UnitFacts]) -> None:
    responses = _responses(request, SurveyKind.CUSTOMER, CUSTOMER_WINDOW)
    for row in responses.values("unit_id", "survey_id").annotate(n=Count("id")):
        unit = facts[row["unit_id"]]
        unit.customer_responses += row["n"]
        unit.touchpoints.add(row["survey_id"])
    recent = _responses(request, SurveyKind.CUSTOMER, timedelta(days=7 * REGULARITY_WEEKS + 1))
    for unit_id, local_date in recent.values_list("unit_id", "local_date").distinct():
        facts[unit_id].feedback_dates.add(local_date)


def _count_pulse_respondents(request: EvidenceRequest, facts: dict[int, UnitFacts]) -> None:
    responses = _responses(request, SurveyKind.EMPLOYEE, PULSE_WINDOW)
    for row in responses.values("unit_id").annotate(n=Count("id")):
        facts[row["unit_id"]].pulse_respondents += row["n"]


def _answer_counts(request: EvidenceRequest, kinds: list[str], window: timedelta, keys: set):
    versions = {version for version, _key in keys}
    return (
        Answer.objects.filter(
            response__organisation=request.organisation,
            response__survey__kind__in=kinds,
            response__submitted_at__gt=request.as_of - window,
            response__submitted_at__lte=request.as_of,
            response__version_id__in=versions,
            question_key__in={key for _version, key in keys},
            number__isnull=False,
        )
        .values("response__unit_id", "response__version_id", "question_key", "number")
        .annotate(n=Count("id"))
        .order_by()
    )


def _count_answers(request: EvidenceRequest, catalog: _Catalog, facts: dict[int, UnitFacts]):
    customer_nps = {pair for pair in catalog.nps if catalog.kinds[pair[0]] == SurveyKind.CUSTOMER}
    employee = {pair for pair in catalog.nps if catalog.kinds[pair[0]] == SurveyKind.EMPLOYEE}
    for row in _rows(request, [SurveyKind.CUSTOMER], CUSTOMER_WINDOW, customer_nps):
        facts[row["unit"]].nps[row["number"]] += row["n"]
    pulse_keys = employee | set(catalog.ratings)
    for row in _rows(request, [SurveyKind.EMPLOYEE], PULSE_WINDOW, pulse_keys):
        unit, pair = facts[row["unit"]], row["pair"]
        if pair in employee:
            unit.enps[row["number"]] += row["n"]
        if pair in catalog.ratings:
            unit.pulse_rated[pair[1]] += row["n"]
            if row["number"] >= catalog.ratings[pair] - 1:
                unit.pulse_top_box[pair[1]] += row["n"]
    gap_kinds = [SurveyKind.CUSTOMER, SurveyKind.SELF_ASSESSMENT]
    for row in _rows(request, gap_kinds, GAP_WINDOW, set(catalog.domains)):
        domain = catalog.domains[row["pair"]]
        if catalog.kinds[row["pair"][0]] == SurveyKind.SELF_ASSESSMENT:
            facts[row["unit"]].staff_domains.add(domain)
        else:
            facts[row["unit"]].customer_domains.add(domain)


def _rows(request: EvidenceRequest, kinds: list[str], window: timedelta, keys: set):
    """Yield grouped answer counts of exactly the (version, question) pairs in ``keys``."""
    if not keys:
        return
    for row in _answer_counts(request, kinds, window, keys):
        pair = (row["response__version_id"], row["question_key"])
        if pair in keys:
            yield {"unit": row["response__unit_id"], "pair": pair, **row}


# --- Measurement -------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return format_value(METRICS["csat"], value)


def measure_coverage(request: EvidenceRequest) -> list[Measurement]:
    """Share of the scope's units (tree leaves) that collected customer feedback in 90 days."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        leaves = snap.leaves_in(scope)
        covered = sum(1 for unit in leaves if snap.facts[unit].customer_responses)
        touchpoints = sum(len(facts.touchpoints) for facts in snap.facts_in(scope))
        value = 100.0 * covered / len(leaves) if leaves else 0.0
        detail = _(
            "%(covered)d of %(units)d units collected customer feedback in the last 90 days, "
            "through %(touchpoints)d touchpoints (survey × unit)."
        ) % {"covered": covered, "units": len(leaves), "touchpoints": touchpoints}
        results.append(
            Measurement(
                Status.MEASURED,
                value,
                _percent(value),
                level_from_bands(value, COVERAGE_BANDS),
                detail,
                len(leaves),
            )
        )
    return results


def measure_volume(request: EvidenceRequest) -> list[Measurement]:
    """Customer responses per unit per month (30 days) over the last 90 days."""
    snap = snapshot(request)
    months = CUSTOMER_WINDOW.days / 30
    results = []
    for scope in request.scopes:
        leaves = snap.leaves_in(scope)
        total = sum(facts.customer_responses for facts in snap.facts_in(scope))
        value = total / max(len(leaves), 1) / months
        detail = ngettext(
            "%(total)d customer response in the last 90 days across %(units)d units.",
            "%(total)d customer responses in the last 90 days across %(units)d units.",
            total,
        ) % {"total": total, "units": len(leaves)}
        display = _("%(value)s a month") % {"value": f"{value:.1f}"}
        level = level_from_bands(value, VOLUME_BANDS)
        results.append(Measurement(Status.MEASURED, value, display, level, detail, total))
    return results


def measure_regularity(request: EvidenceRequest) -> list[Measurement]:
    """Weeks of the last 13 in which the scope received any customer feedback."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        weeks = {
            (snap.today - day).days // 7
            for facts in snap.facts_in(scope)
            for day in facts.feedback_dates
            if 0 <= (snap.today - day).days < 7 * REGULARITY_WEEKS
        }
        value = float(len(weeks))
        display = _("%(weeks)d of %(total)d weeks") % {
            "weeks": len(weeks),
            "total": REGULARITY_WEEKS,
        }
        detail = _("Weeks of the last 13 in which at least one customer gave feedback.")
        level = level_from_bands(value, REGULARITY_BANDS)
        results.append(Measurement(Status.MEASURED, value, display, level, detail, len(weeks)))
    return results


def _interaction_counts(request: EvidenceRequest) -> tuple[Counter, int]:
    """Return interactions per unit in the customer window, and those without a unit.

    One grouped query, remembered for the request. Interactions belong to the customers
    app, which the continuum sits above; the responses are the snapshot's.
    """
    cached = request.memo.get("continuum.interactions")
    if cached is None:
        rows = (
            Interaction.objects.filter(
                organisation=request.organisation,
                occurred_at__gt=request.as_of - CUSTOMER_WINDOW,
                occurred_at__lte=request.as_of,
            )
            .order_by()
            .values("unit_id")
            .annotate(n=Count("id"))
        )
        per_unit = Counter({row["unit_id"]: row["n"] for row in rows})
        cached = (per_unit, per_unit.pop(None, 0))
        request.memo["continuum.interactions"] = cached
    return cached


def measure_responses_per_interaction(request: EvidenceRequest) -> list[Measurement]:
    """Customer responses per 100 recorded interactions (visits, orders, calls), 90 days.

    Responses and interactions of the same window and units; an interaction without a
    unit counts for the whole organisation only.
    """
    snap = snapshot(request)
    per_unit, without_unit = _interaction_counts(request)
    results = []
    for scope in request.scopes:
        units = snap.units_in(scope)
        interactions = sum(per_unit[unit] for unit in units)
        if scope.unit_id is None:
            interactions += without_unit
        responses = sum(snap.facts[unit].customer_responses for unit in units)
        if not interactions:
            detail = _("No visits, orders or calls were recorded in the last 90 days.")
            results.append(Measurement(Status.NO_DATA, detail=detail, n=0))
            continue
        value = 100.0 * responses / interactions
        detail = _(
            "%(responses)d customer responses for %(interactions)d recorded interactions "
            "in the last 90 days."
        ) % {"responses": responses, "interactions": interactions}
        level = level_from_bands(value, INTERACTION_BANDS)
        results.append(
            Measurement(Status.MEASURED, value, _percent(value), level, detail, interactions)
        )
    return results


def measure_perception_gap(request: EvidenceRequest) -> list[Measurement]:
    """Whether staff rated their own service on domains that customers rated too (365 days)."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        facts = snap.facts_in(scope)
        staff = set().union(*(item.staff_domains for item in facts))
        shared = staff & set().union(*(item.customer_domains for item in facts))
        if shared:
            detail = ngettext(
                "Staff and customers both rated %(count)d domain in the last 12 months.",
                "Staff and customers both rated %(count)d domains in the last 12 months.",
                len(shared),
            ) % {"count": len(shared)}
        elif staff:
            detail = _("Staff rated themselves, but customers rated none of the same domains.")
        else:
            detail = _("No staff self-assessment survey was answered in the last 12 months.")
        level = Level.CENTRIC if shared else Level.FOCUSED
        display = _("yes") if shared else _("no")
        results.append(
            Measurement(Status.MEASURED, float(bool(shared)), display, level, detail, len(shared))
        )
    return results


def measure_customer_nps(request: EvidenceRequest) -> list[Measurement]:
    """Customer NPS over 90 days; a sample below the organisation's minimum supports no level."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        histogram = sum((facts.nps for facts in snap.facts_in(scope)), Counter())
        score = nps(histogram)
        if score.n == 0:
            detail = _("No customer answered a recommend question in the last 90 days.")
            results.append(Measurement(Status.NO_DATA, detail=detail, n=0))
            continue
        results.append(_nps_measurement(score, NPS_BANDS, snap.minimum_sample))
    return results


def measure_pulse_run(request: EvidenceRequest) -> list[Measurement]:
    """Whether staff answered an employee survey in 180 days, and per unit beside customers."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        respondents = sum(facts.pulse_respondents for facts in snap.facts_in(scope))
        with_customers = [u for u in snap.leaves_in(scope) if snap.facts[u].customer_responses]
        reportable = sum(
            1
            for unit in with_customers
            if snap.facts[unit].pulse_respondents >= CONFIDENTIALITY_MINIMUM
        )
        if not respondents:
            detail = _("No employee survey was answered in the last 6 months.")
            results.append(Measurement(Status.MEASURED, 0.0, _("no"), Level.FRIENDLY, detail, 0))
            continue
        side_by_side = bool(with_customers) and reportable * 2 >= len(with_customers)
        detail = _(
            "%(respondents)d answers in the last 6 months; %(reportable)d of %(units)d units "
            "with customer feedback have enough respondents to show beside it."
        ) % {"respondents": respondents, "reportable": reportable, "units": len(with_customers)}
        level = Level.CENTRIC if side_by_side else Level.FOCUSED
        results.append(
            Measurement(Status.MEASURED, float(respondents), _("yes"), level, detail, respondents)
        )
    return results


def measure_enps(request: EvidenceRequest) -> list[Measurement]:
    """Employee NPS over 180 days, withheld below five respondents."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        facts = snap.facts_in(scope)
        withheld = _withheld(sum(item.pulse_respondents for item in facts))
        if withheld is not None:
            results.append(withheld)
            continue
        score = nps(sum((item.enps for item in facts), Counter()))
        if score.n == 0:
            detail = _("The employee survey has no recommend question.")
            results.append(Measurement(Status.NO_DATA, detail=detail, n=0))
            continue
        results.append(_nps_measurement(score, ENPS_BANDS, CONFIDENTIALITY_MINIMUM))
    return results


def measure_enablement(request: EvidenceRequest) -> list[Measurement]:
    """Share of pulse ratings in the top two boxes (training, authority, tools, recognition)."""
    snap = snapshot(request)
    results = []
    for scope in request.scopes:
        facts = snap.facts_in(scope)
        withheld = _withheld(sum(item.pulse_respondents for item in facts))
        if withheld is not None:
            results.append(withheld)
            continue
        rated = sum((item.pulse_rated for item in facts), Counter())
        top = sum((item.pulse_top_box for item in facts), Counter())
        if not rated:
            detail = _("The employee survey has no rating questions.")
            results.append(Measurement(Status.NO_DATA, detail=detail, n=0))
            continue
        value = 100.0 * sum(top.values()) / sum(rated.values())
        detail = ", ".join(
            f"{key.replace('_', ' ')} {_percent(100.0 * top[key] / rated[key])}"
            for key in sorted(rated)
        )
        level = level_from_bands(value, ENABLEMENT_BANDS)
        n = sum(rated.values())
        results.append(Measurement(Status.MEASURED, value, _percent(value), level, detail, n))
    return results


def _withheld(respondents: int) -> Measurement | None:
    """Return the measurement of a confidential cell too small to show, else None."""
    if respondents == 0:
        detail = _("No employee survey was answered in the last 6 months.")
        return Measurement(Status.NO_DATA, detail=detail, n=0)
    if respondents < CONFIDENTIALITY_MINIMUM:
        detail = _("Fewer than %(minimum)d respondents: not shown, to keep answers confidential.")
        return Measurement(Status.WITHHELD, detail=detail % {"minimum": CONFIDENTIALITY_MINIMUM})
    return None


def _nps_measurement(score, bands, minimum: int) -> Measurement:
    spec = METRICS["nps"]
    detail = _("%(n)d answers; 95%% interval %(low)s to %(high)s.") % {
        "n": score.n,
        "low": format_value(spec, score.ci_low),
        "high": format_value(spec, score.ci_high),
    }
    if score.n < minimum:
        detail = _("Too few answers to judge (%(n)d of the %(minimum)d needed).") % {
            "n": score.n,
            "minimum": minimum,
        }
        return Measurement(
            Status.SMALL_SAMPLE, score.value, format_value(spec, score.value), None, detail, score.n
        )
    level = level_from_bands(score.value, bands)
    return Measurement(
        Status.MEASURED, score.value, format_value(spec, score.value), level, detail, score.n
    )


def measure_driver_analysis(request: EvidenceRequest) -> list[Measurement]:
    """Days in 90 on which the drivers of the scope's satisfaction were analysed, and by whom.

    An analysis counts for a scope when it covered the scope's data: the scope itself, a
    unit inside it, or a unit above it (the whole organisation included). Use in at least
    two of the three last 30-day months is a habit that can steer investment (no limit);
    less, or never, supports up to focused, as the practice is a centric one.
    """
    today = request.as_of.astimezone(zoneinfo.ZoneInfo(request.organisation.time_zone)).date()
    start = today - timedelta(days=DRIVER_WINDOW.days - 1)
    rows = driver_analysis_uses(request.organisation, start=start, end=today)
    results = []
    for scope in request.scopes:
        covering = [
            row
            for row in rows
            if scope.contains(row.unit_path) or scope.path.startswith(row.unit_path)
        ]
        days = {row.day for row in covering}
        months = {(today - day).days // 30 for day in days}
        page = [row for row in covering if row.surface == DriverUseSurface.PAGE]
        people = {row.membership_id for row in page} - {None}
        api_uses = sum(row.uses for row in covering if row.surface == DriverUseSurface.API)
        detail = _(
            "Analysed on %(days)d of the last 90 days, in %(months)d of the last 3 months, "
            "by %(people)d people on the drivers page and %(api)d times through the API."
        ) % {"days": len(days), "months": len(months), "people": len(people), "api": api_uses}
        display = ngettext("%(days)d day", "%(days)d days", len(days)) % {"days": len(days)}
        level = Level.CENTRIC if len(months) >= DRIVER_HABIT_MONTHS else Level.FOCUSED
        uses = sum(row.uses for row in covering)
        results.append(Measurement(Status.MEASURED, float(len(days)), display, level, detail, uses))
    return results


# --- Declarations -----------------------------------------------------------------------------

INDICATORS = [
    Indicator(
        key="customer_nps",
        factor=Factor.CUSTOMER_FOCUS,
        label=gettext_lazy("Customer NPS"),
        description=gettext_lazy("How likely customers are to recommend you, last 90 days."),
        step=gettext_lazy("Read every detractor's comment and fix the cause, not only the case."),
        feature="results",
        measure=measure_customer_nps,
        order=10,
    ),
    Indicator(
        key="case_closure_time",
        factor=Factor.CUSTOMER_FOCUS,
        label=gettext_lazy("Time to close a customer's problem"),
        description=gettext_lazy("Median time from an unhappy answer to a resolved case."),
        step=gettext_lazy("Give every case a deadline and an owner."),
        feature="detractor_rule",
        provided_by="loop",
        order=20,
    ),
    Indicator(
        key="resurvey_solved_rate",
        factor=Factor.CUSTOMER_FOCUS,
        label=gettext_lazy("Problems solved, in the customer's words"),
        description=gettext_lazy("Share of re-surveyed customers who say the problem was solved."),
        step=gettext_lazy("Ask customers whose case was closed whether it was really solved."),
        feature="detractor_rule",
        provided_by="loop",
        order=30,
    ),
    Indicator(
        key="touchpoint_coverage",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Units collecting feedback"),
        description=gettext_lazy("Share of units with customer feedback in the last 90 days."),
        step=gettext_lazy("Open a link or put a QR card at every unit that serves customers."),
        feature="links",
        measure=measure_coverage,
        order=10,
    ),
    Indicator(
        key="responses_per_unit",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Responses per unit"),
        description=gettext_lazy("Customer responses per unit per month, last 90 days."),
        step=gettext_lazy(
            "Invite every customer after each visit or order, not a sample now and then."
        ),
        feature="links",
        measure=measure_volume,
        order=20,
    ),
    Indicator(
        key="feedback_regularity",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Weeks with feedback"),
        description=gettext_lazy("Weeks of the last 13 with at least one customer response."),
        step=gettext_lazy("Keep a survey open all year so feedback arrives every week."),
        feature="customer_survey",
        measure=measure_regularity,
        order=30,
    ),
    Indicator(
        key="responses_per_interaction",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Responses per customer interaction"),
        description=gettext_lazy(
            "Customer responses per 100 visits, orders and calls, last 90 days."
        ),
        step=gettext_lazy("Invite every customer after each recorded visit, order or call."),
        feature="links",
        measure=measure_responses_per_interaction,
        order=40,
    ),
    Indicator(
        key="time_to_front_line",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Time to the front line"),
        description=gettext_lazy("Time from a response to being seen by the person responsible."),
        step=gettext_lazy("Send each unit's feedback to its staff as it arrives."),
        feature="members",
        provided_by="loop",
        order=50,
    ),
    Indicator(
        key="detractors_followed_up",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Detractors followed up"),
        description=gettext_lazy("Share of detractors contacted by someone who can put it right."),
        step=gettext_lazy("Switch on the detractor rule so that every detractor gets an owner."),
        feature="detractor_rule",
        provided_by="loop",
        order=60,
    ),
    Indicator(
        key="driver_analysis",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Driver analysis used"),
        description=gettext_lazy(
            "Days on which someone analysed what drives satisfaction, last 90 days."
        ),
        step=gettext_lazy(
            "Look at the drivers of your survey every month and invest in the one to fix first."
        ),
        feature="driver_analysis",
        measure=measure_driver_analysis,
        order=70,
    ),
    Indicator(
        key="perception_gap_measured",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Perception gap measured"),
        description=gettext_lazy("Staff self-ratings beside customer ratings, last 12 months."),
        step=gettext_lazy("Run the staff self-assessment survey beside the customer survey."),
        feature="self_assessment_survey",
        measure=measure_perception_gap,
        order=80,
    ),
    Indicator(
        key="lapse_tracked",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Lapsed customers tracked"),
        description=gettext_lazy("Whether customers who stop coming are detected and asked why."),
        feature="lapse_detection",
        provided_by="customers",
        order=90,
    ),
    Indicator(
        key="employee_pulse_run",
        factor=Factor.ENVIRONMENT,
        label=gettext_lazy("Employee pulse run"),
        description=gettext_lazy("Staff answered an employee survey in the last 6 months."),
        step=gettext_lazy("Start the employee pulse and run it per unit, twice a year."),
        feature="employee_pulse",
        measure=measure_pulse_run,
        order=10,
    ),
    Indicator(
        key="enps",
        factor=Factor.ENVIRONMENT,
        label=gettext_lazy("Employee NPS"),
        description=gettext_lazy("How likely staff are to recommend working here, 6 months."),
        step=gettext_lazy(
            "Ask staff what one change would most help them serve customers, and make it."
        ),
        feature="employee_pulse",
        measure=measure_enps,
        order=20,
    ),
    Indicator(
        key="employee_enablement",
        factor=Factor.ENVIRONMENT,
        label=gettext_lazy("Staff equipped to serve"),
        description=gettext_lazy(
            "Pulse ratings of training, authority, tools and recognition at 4-5."
        ),
        step=gettext_lazy(
            "Fix the lowest-rated of training, authority, tools and recognition first."
        ),
        feature="employee_pulse",
        measure=measure_enablement,
        order=30,
    ),
]
