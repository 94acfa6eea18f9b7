"""Response rate as a metric: the collect app's invitations, counted per group.

An invitation counts in the period it was *sent* (in the organisation's time zone), as
``collect.selectors.response_rate`` counts it, so that a period's rate does not change as
late answers to older sends arrive. The histogram handed to the metric engine is that of
a yes/no answer — key 1 the answered invitations, key 0 the others — so n is the number
sent and the interval is Wilson's, like every share.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.db.models import Count, F, IntegerField, Q, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Invitation
from heedback.core.errors import InvalidInput
from heedback.insights import histograms, segments
from heedback.insights.histograms import TIME_GROUPINGS

#: Invitations go out by email; their responses may come back by any channel.
INVITATION_CHANNEL = Channel.EMAIL.value


def histograms_by_group(
    scope: histograms.Scope, time_zone: str, group_by: str, filters: tuple[tuple[str, str], ...]
) -> dict[object, dict[int, int]]:
    """Return ``{group: {1: answered, 0: not answered}}`` of the invitations sent."""
    _check(group_by, filters)
    if scope.channel not in (None, INVITATION_CHANNEL):
        return {}
    invitations = _sent_in_scope(scope, time_zone)
    for index, (name, value) in enumerate(filters):
        if name != "channel":
            alias = f"filtered_{index}"
            invitations = invitations.annotate(**{alias: segments.expression(name)}).filter(
                **{alias: value}
            )
    rows = (
        invitations.values(raw_group=_group(group_by, time_zone))
        .annotate(sent=Count("id"), answered=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by()
        .values_list("raw_group", "sent", "answered")
    )
    result: dict[object, dict[int, int]] = {}
    grouping = group_by if group_by in histograms.GROUPINGS else "dimension"
    for raw_group, sent, answered in rows:
        group = histograms.fold(raw_group, grouping)
        counts = result.setdefault(group, {1: 0, 0: 0})
        counts[1] += answered
        counts[0] += sent - answered
    return result


def _check(group_by: str, filters: tuple[tuple[str, str], ...]) -> None:
    """Refuse the theme dimension: an invitation has no text until it is answered."""
    names = [group_by, *(name for name, _value in filters)]
    if segments.THEME in names:
        field = "group_by" if group_by == segments.THEME else "filter[theme]"
        raise InvalidInput.from_pairs(
            _("The response rate has no themes."),
            [(field, _("An invitation has no text to find themes in."))],
        )


def _sent_in_scope(scope: histograms.Scope, time_zone: str):
    invitations = Invitation.objects.filter(
        organisation_id=scope.organisation_id,
        campaign__survey_id=scope.survey_id,
        sent_at__isnull=False,
    )
    if scope.unit_path is not None:
        invitations = invitations.filter(unit__path__startswith=scope.unit_path)
    if scope.visible_unit_paths is not None:
        visible = Q(pk__in=[])
        for path in scope.visible_unit_paths:
            visible |= Q(unit__path__startswith=path)
        invitations = invitations.filter(visible)
    zone = zoneinfo.ZoneInfo(time_zone)
    if scope.date_from is not None:
        start = datetime.combine(scope.date_from, time.min, zone)
        invitations = invitations.filter(sent_at__gte=start)
    if scope.date_to is not None:
        end = datetime.combine(scope.date_to + timedelta(days=1), time.min, zone)
        invitations = invitations.filter(sent_at__lt=end)
    return invitations


def _group(group_by: str, time_zone: str):
    if group_by in TIME_GROUPINGS:
        return TruncDate("sent_at", tzinfo=zoneinfo.ZoneInfo(time_zone))
    if group_by == "unit":
        return F("unit_id")
    if group_by == "channel":
        return Value(INVITATION_CHANNEL)
    if segments.is_dimension(group_by):
        return segments.expression(group_by)
    return Value(None, output_field=IntegerField())
