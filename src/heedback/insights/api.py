"""The insights router: metrics, cut and filtered, compared between periods; scorecards."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router

from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput
from heedback.insights import comparisons, segments, significance
from heedback.insights.driver_schemas import (
    DriverFilters,
    DriversOut,
    GapFilters,
    GapOut,
    drivers_out,
    gap_out,
)
from heedback.insights.driver_selectors import DriverQuery, analyse_drivers
from heedback.insights.driver_usage import DriverAnalysisUseIn, record_driver_analysis_use
from heedback.insights.gap_selectors import GapQuery, perception_gap
from heedback.insights.histograms import TIME_GROUPINGS
from heedback.insights.page_filters import today_of
from heedback.insights.schemas import MetricFilters, MetricOut, ScorecardFilters, ScorecardOut
from heedback.insights.scorecards import ScorecardQuery, build_scorecard
from heedback.insights.selectors import MetricQuery, compute_metric, group_key
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import root_unit
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["metrics"])

#: The period a scorecard covers when the request names none.
DEFAULT_SCORECARD_DAYS = 90


def _check_correction(correction: str) -> None:
    if correction not in significance.CORRECTIONS:
        raise InvalidInput.from_pairs(
            _("Unknown correction."),
            [("correction", _("Choose one of: %s.") % ", ".join(significance.CORRECTIONS))],
        )


def _comparison_period(filters: MetricFilters):
    """Return the comparison period the filters ask for, or None for no comparison."""
    if filters.compare is None and filters.compare_from is None and filters.compare_to is None:
        return None
    _check_correction(filters.correction)
    if filters.group_by in TIME_GROUPINGS:
        raise InvalidInput.from_pairs(
            _("A comparison matches groups between periods."),
            [("group_by", _("Use none, unit or channel with a comparison."))],
        )
    if filters.compare is not None:
        if filters.compare != "previous":
            raise InvalidInput.from_pairs(
                _("Unknown comparison."), [("compare", _("The only value is 'previous'."))]
            )
        if filters.from_ is None or filters.to is None:
            raise InvalidInput.from_pairs(
                _("The previous period needs a bounded period."),
                [("compare", _("Give 'from' and 'to' with compare=previous."))],
            )
        return comparisons.previous_period(filters.from_, filters.to)
    if filters.compare_from and filters.compare_to and filters.compare_from > filters.compare_to:
        raise InvalidInput.from_pairs(
            _("The comparison period is empty."),
            [("compare_from", _("must not be after 'compare_to'"))],
        )
    return filters.compare_from, filters.compare_to


@router.get("/metrics", response=MetricOut)
@requires(Permission.VIEW)
def metrics(request: HttpRequest, filters: Query[MetricFilters]):
    """Compute ``metric`` (nps, csat, mean, ces, share_yes, count, response_rate).

    ``group_by`` is one of none, unit, day, week, month, quarter, channel, or a dimension
    the rollups lack: theme, customer.value_tier, customer.temperament, customer.<key of
    the customer's attributes>, interaction.kind. ``unit`` filters to a unit's whole
    subtree; ``from``/``to`` are dates in the organisation's time zone;
    ``filter[<dimension>]=<value>`` keeps what matches (``filter[channel]=email``,
    ``filter[theme]=<theme id>``, ``filter[customer.value_tier]=gold``, …; all must hold).
    Figures are exact and current: rollups plus the responses not rolled up yet; a cut by
    theme, customer or interaction is counted from the responses themselves, within a time
    limit and a cap on groups (422 when exceeded). ``response_rate`` is invitations
    answered of invitations sent, by the day they were sent; its n is the number sent.

    With ``compare=previous`` (the period of the same length before ``from``) or
    ``compare_from``/``compare_to``, ``comparison`` gives each group in that period and the
    difference (this period minus that one) with its standard error, statistic and
    two-sided p-value — NPS: difference of two NPS; shares: two proportions; means: Welch —
    adjusted over the groups by ``correction`` (bh or holm). A group with fewer answers
    than the organisation's minimum sample on a side is not tested.
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=filters.survey)
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    if filters.from_ and filters.to and filters.from_ > filters.to:
        raise InvalidInput.from_pairs("The period is empty.", [("from", "must not be after 'to'")])
    other_period = _comparison_period(filters)
    query = MetricQuery(
        filters=segments.filters_from(request.GET),
        organisation=organisation,
        survey=survey,
        metric=filters.metric,
        question_key=filters.question,
        group_by=filters.group_by,
        unit=unit,
        date_from=filters.from_,
        date_to=filters.to,
    )
    result = compute_metric(query)
    body = {
        "metric": result.metric.key,
        "question": result.question.key if result.question else None,
        "unit": result.metric.unit,
        "results": [row.__dict__ for row in result.rows],
    }
    if other_period is not None:
        body["comparison"] = _comparison(query, result, other_period, filters.correction)
    return body


def _comparison(query: MetricQuery, result, other_period, correction: str) -> dict:
    minimum = query.organisation.minimum_sample
    found = comparisons.compare_query(
        query, *other_period, minimum_sample=minimum, correction=correction
    )
    current = {row.group: row for row in result.rows}
    rows = []
    for group, row in found.items():
        key = None if query.group_by == "none" else group_key(group)
        test = row.comparison
        difference = test.difference if test else None
        now = current.get(key)
        if (
            test is None
            and now is not None
            and now.value is not None
            and row.value.value is not None
        ):
            difference = now.value - row.value.value
        rows.append(
            {
                "group": key,
                "value": row.value.value,
                "n": row.value.n,
                "difference": difference,
                "standard_error": test.standard_error if test else None,
                "statistic": test.statistic if test else None,
                "p_value": test.p_value if test else None,
                "adjusted_p_value": row.adjusted_p_value,
                "is_significant": row.is_significant,
            }
        )
    return {
        "compare_from": other_period[0],
        "compare_to": other_period[1],
        "correction": correction,
        "minimum_sample": minimum,
        "results": rows,
    }


@router.get("/scorecards", response=ScorecardOut)
@requires(Permission.VIEW)
def scorecards(request: HttpRequest, filters: Query[ScorecardFilters]):
    """Return the domain scorecard of a survey: units × domains, score, n, change and p.

    Rows are ``unit`` (the organisation's root by default) and its direct children, each
    counting its whole subtree. A score is the percentage of favourable answers (top two
    points of the scale, or yes) to the questions tied to the domain; the change is
    against the period of the same length before ``from`` (default: the last 90 days),
    tested by two proportions and adjusted over every tested cell by ``correction``.
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=filters.survey)
    _check_correction(filters.correction)
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    else:
        unit = root_unit(organisation)
    date_to = filters.to or today_of(organisation)
    date_from = filters.from_ or date_to - timedelta(days=DEFAULT_SCORECARD_DAYS - 1)
    if date_from > date_to:
        raise InvalidInput.from_pairs("The period is empty.", [("from", "must not be after 'to'")])
    card = build_scorecard(
        ScorecardQuery(organisation, survey, date_from, date_to, unit, filters.correction)
    )
    return {
        "survey": survey.pk,
        "date_from": date_from,
        "date_to": date_to,
        "previous_from": card.previous_from,
        "previous_to": card.previous_to,
        "minimum_sample": card.minimum_sample,
        "correction": filters.correction,
        "domains": [{"key": domain.key, "name": domain.name} for domain in card.domains],
        "units": [
            {"id": row.unit.pk, "name": row.unit.name, "is_top": row.is_top} for row in card.rows
        ],
        "cells": [
            {
                "unit": cell.unit_id,
                "domain": cell.domain_key,
                "score": cell.score,
                "n": cell.n,
                "previous_score": cell.previous_score,
                "previous_n": cell.previous_n,
                "change": cell.change,
                "p_value": cell.p_value,
                "adjusted_p_value": cell.adjusted_p_value,
                "is_significant": cell.is_significant,
                "is_small": cell.is_small,
            }
            for cell in card.cells
        ],
    }


@router.get("/drivers", response=DriversOut)
@requires(Permission.VIEW)
def key_drivers(request: HttpRequest, filters: Query[DriverFilters]):
    """Return the key drivers of a survey's outcome (NPS or an overall rating).

    Importance: standardised β with its test, and each domain's Shapley share of R², from
    the additive driver sums (instant for any period and unit). Performance: each domain's
    mean as a score 0–100. ``bootstrap=true`` adds percentile intervals from resampled
    responses (slower; capped and seeded).
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=filters.survey)
    unit = _unit_or_invalid(organisation, filters.unit)
    _check_period(filters.from_, filters.to)
    result = analyse_drivers(
        DriverQuery(
            organisation=organisation,
            survey=survey,
            outcome_key=filters.outcome,
            unit=unit,
            date_from=filters.from_,
            date_to=filters.to,
            with_bootstrap=filters.bootstrap,
        )
    )
    record_driver_analysis_use(DriverAnalysisUseIn(organisation, unit, None, "api", timezone.now()))
    return drivers_out(result)


@router.get("/perception-gap", response=GapOut)
@requires(Permission.VIEW)
def perception_gap_api(request: HttpRequest, filters: Query[GapFilters]):
    """Return staff self-ratings beside customer ratings per domain, overall and per unit.

    Scores are means on 0–100; the gap is staff minus customers, tested with Welch's t-test
    and corrected with Holm's method across the cells returned together.
    """
    organisation = request.organisation
    unit = _unit_or_invalid(organisation, filters.unit)
    _check_period(filters.from_, filters.to)
    result = perception_gap(
        GapQuery(organisation=organisation, unit=unit, date_from=filters.from_, date_to=filters.to)
    )
    return gap_out(result)


def _unit_or_invalid(organisation, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        return None
    return get_scoped_or_invalid(Unit, organisation, "unit", pk=unit_id)


def _check_period(first, last) -> None:
    if first and last and first > last:
        raise InvalidInput.from_pairs("The period is empty.", [("from", "must not be after 'to'")])
