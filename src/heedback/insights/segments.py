"""Cuts and filters the rollups have no dimension for: customer, interaction and theme.

"The NPS of gold customers", "CSAT after a service call", "the NPS of customers who
mention parking" name a property of the response's customer, of its interaction, or of
the themes the text app found in its comments. Rollups are kept per unit, channel and day
only — adding every attribute would multiply them without bound — so these cuts are
counted from the raw rows, through the bounded gateway (``raw_reads``), with the same
counting rules as the rollups' tail (``histograms.count_answers``). Without such a
dimension the figures equal the rollups' exactly; the tests hold both to pandas.

Dimensions, as the API spells them (``group_by=`` and ``filter[<dimension>]=``):

- ``theme``: a theme's id; a response is in a theme when any of its texts mentions it.
- ``customer.value_tier``, ``customer.temperament``: the customer's fields.
- ``customer.<key>``: any key of the customer's ``attributes`` (compared as text).
- ``interaction.kind``: the kind of the interaction the response is about.

A response without a customer (or interaction) falls in the group ``""`` ("not set").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import F, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Response
from heedback.core.errors import InvalidInput
from heedback.customers.choices import InteractionKind, Temperament
from heedback.insights import histograms, raw_reads
from heedback.insights.histograms import GROUPINGS
from heedback.text.choices import ThemeStatus
from heedback.text.models import Theme
from heedback.text.selectors import responses_mentioning

THEME = "theme"
_FIELDS = {
    "customer.value_tier": "customer__value_tier",
    "customer.temperament": "customer__temperament",
    "interaction.kind": "interaction__kind",
}
_ATTRIBUTE = re.compile(r"^customer\.([A-Za-z0-9_\-]{1,63})$")
#: Filters the rollups answer themselves (``channel`` is one of their columns).
ROLLUP_FILTERS = ("channel",)
NOT_SET = ""


_FILTER_PARAMETER = re.compile(r"^filter\[([^\]]+)\]$")


def filters_from(parameters) -> tuple[tuple[str, str], ...]:
    """Return the ``filter[<dimension>]=<value>`` pairs of a query string, in name order.

    A dimension given twice is refused: every filter must hold, so two values of one
    dimension could only ever match nothing.
    """
    found: dict[str, str] = {}
    for key in parameters:
        match = _FILTER_PARAMETER.match(key)
        if match is None:
            continue
        values = [value for value in parameters.getlist(key) if value != ""]
        if len(values) > 1:
            raise InvalidInput.from_pairs(
                _("A filter is given twice."), [(key, _("Give one value per filter."))]
            )
        if values:
            found[match.group(1)] = values[0]
    return tuple(sorted(found.items()))


def is_dimension(name: str) -> bool:
    """Tell whether ``name`` is a dimension only the raw rows have."""
    return name == THEME or name in _FIELDS or bool(_ATTRIBUTE.match(name))


def check_grouping(group_by: str) -> None:
    """Refuse a grouping that is neither a rollup grouping nor a raw dimension."""
    if group_by not in GROUPINGS and not is_dimension(group_by):
        choices = ", ".join([*GROUPINGS, THEME, *_FIELDS, "customer.<attribute>"])
        raise InvalidInput.from_pairs(
            _("Unknown grouping."), [("group_by", _("Choose one of: %s.") % choices)]
        )


def check_filters(organisation_id: int, filters: tuple[tuple[str, str], ...]) -> None:
    """Refuse an unknown filter, an unknown channel, or a theme of another organisation."""
    for name, value in filters:
        field = f"filter[{name}]"
        if name == "channel":
            if value not in Channel.values:
                raise InvalidInput.from_pairs(
                    _("Unknown channel."),
                    [(field, _("Choose one of: %s.") % ", ".join(Channel.values))],
                )
        elif name == THEME:
            if not value.isdigit() or not _themes(organisation_id).filter(pk=value).exists():
                raise InvalidInput.from_pairs(
                    _("Unknown theme."), [(field, _("No theme with this id."))]
                )
        elif not is_dimension(name):
            choices = ", ".join(["channel", THEME, *_FIELDS, "customer.<attribute>"])
            raise InvalidInput.from_pairs(
                _("Unknown filter."), [(field, _("Filter by one of: %s.") % choices)]
            )


def needs_raw_rows(group_by: str, filters: tuple[tuple[str, str], ...]) -> bool:
    """Tell whether a read must count raw rows (a raw dimension as grouping or filter)."""
    return is_dimension(group_by) or any(is_dimension(name) for name, _value in filters)


def expression(name: str):
    """Return the response field (or JSON key) a dimension reads, as text."""
    if name in _FIELDS:
        return Coalesce(F(_FIELDS[name]), Value(NOT_SET), output_field=TextField())
    key = _ATTRIBUTE.match(name).group(1)
    return Coalesce(
        KeyTextTransform(key, "customer__attributes"), Value(NOT_SET), output_field=TextField()
    )


def narrowed(responses: QuerySet, filters: tuple[tuple[str, str], ...]) -> QuerySet:
    """Return ``responses`` narrowed by the raw-dimension filters (each must hold)."""
    for index, (name, value) in enumerate(filters):
        if name == THEME:
            responses = responses.filter(pk__in=responses_mentioning(Theme(pk=int(value))))
        elif is_dimension(name):
            alias = f"filtered_{index}"
            responses = responses.annotate(**{alias: expression(name)}).filter(**{alias: value})
    return responses


@dataclass(frozen=True)
class RawCut:
    """What a raw read counts: a scope, the raw-dimension filters and one grouping."""

    scope: histograms.Scope
    filters: tuple[tuple[str, str], ...]
    group_by: str


def answer_counts(cut: RawCut, question_keys: list[str]) -> dict[object, dict]:
    """Return ``{group: {question_key: Counts}}`` counted from the raw rows.

    Grouping by theme reads one branch per theme (a response mentioning two themes counts
    in both, once each); the branches run as one statement, so they share one snapshot.
    """
    responses = narrowed(histograms.scope_responses(cut.scope), cut.filters)
    answer_keys = [key for key in question_keys if key != histograms.RESPONSES_KEY]
    branches = []
    for raw_group, part in _parts(cut, responses):
        if answer_keys:
            branches.append(histograms.count_answers(part, raw_group, answer_keys))
        if histograms.RESPONSES_KEY in question_keys:
            branches.append(histograms.count_responses(part, raw_group))
    if not branches:
        return {}
    query = histograms.union_query(branches, histograms.COUNT_COLUMNS)
    rows = raw_reads.read_rows(query, field="group_by")
    grouping = cut.group_by if cut.group_by in GROUPINGS else "dimension"
    return histograms.add_up(rows, grouping)


def option_counts(cut: RawCut, question_keys: list[str]) -> dict[str, dict[str, int]]:
    """Return ``{question_key: {option: times chosen}}`` over the cut, from the raw rows."""
    if not question_keys:
        return {}
    responses = narrowed(histograms.scope_responses(cut.scope), cut.filters)
    query = histograms.count_options(responses, question_keys).values_list(
        *histograms.OPTION_COLUMNS
    )
    return histograms.add_up_options(raw_reads.read_rows(query, field="filter"))


def _parts(cut: RawCut, responses: QuerySet[Response]) -> list[tuple[object, QuerySet]]:
    if cut.group_by == THEME:
        themes = _themes(cut.scope.organisation_id).values_list("pk", flat=True)
        return [
            (Value(theme_id), responses.filter(pk__in=responses_mentioning(Theme(pk=theme_id))))
            for theme_id in themes
        ]
    if is_dimension(cut.group_by):
        return [(expression(cut.group_by), responses)]
    return [(histograms.response_group(cut.group_by), responses)]


def _themes(organisation_id: int) -> QuerySet[Theme]:
    return Theme.objects.filter(organisation_id=organisation_id).exclude(status=ThemeStatus.MERGED)


def labels(organisation_id: int, group_by: str, groups) -> dict[object, str]:
    """Return what each group of a raw dimension is called on pages and in exports."""
    if group_by == THEME:
        names = dict(_themes(organisation_id).filter(pk__in=list(groups)).values_list("pk", "name"))
        return {group: names.get(group, str(group)) for group in groups}
    choices = {
        "customer.temperament": dict(Temperament.choices),
        "interaction.kind": dict(InteractionKind.choices),
    }.get(group_by, {})
    return {
        group: str(choices.get(group, group)) if group not in (None, NOT_SET) else _("Not set")
        for group in groups
    }
