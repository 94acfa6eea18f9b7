"""Read the driver sums of a scope: the rollup rows plus the responses they do not hold yet.

As ``histograms.answer_counts`` does for histograms, one ``UNION ALL`` statement sums the
driver-sum rows covering the period (whole months, weeks, then days) and adds the *tail* —
responses above the watermark not in the ledger, and the range a rebuild has not recounted —
from the raw answers, joined to themselves pair by pair. Both parts come from one snapshot,
so the sums are exact and current whatever the worker has done.

Row-level answers (for the bootstrap) are read here too, capped and sampled with a seed.
"""

from __future__ import annotations

import random

import numpy as np
from django.db.models import Count, F, FilteredRelation, Q, Sum

from heedback.collect.models import Answer
from heedback.insights import histograms, read_cache
from heedback.insights.drivers import CrossProducts, PairSums
from heedback.insights.models import DriverSum, OrganisationDriverSum

_SUMS = ("n", "sum_left", "sum_other", "sum_left_squares", "sum_other_squares", "sum_products")
#: Most responses the bootstrap resamples; above it, a seeded random sample of this size.
BOOTSTRAP_ROW_CAP = 20_000


def cross_products(scope: histograms.Scope, keys: list[str]) -> CrossProducts:
    """Return the pairwise sums of the questions ``keys`` over the scope's responses."""
    if not keys:
        return CrossProducts()
    question = (scope, tuple(keys))  # as asked: see ``histograms.answer_counts``
    return read_cache.remembered(
        "driver-sums", scope.organisation_id, question, lambda: _read_cross_products(scope, keys)
    )


def _read_cross_products(scope: histograms.Scope, keys: list[str]) -> CrossProducts:
    scope = histograms.widened(scope)
    narrowed = scope.unit_path is not None or scope.visible_unit_paths is not None
    model = DriverSum if narrowed else OrganisationDriverSum
    branches = [
        rows.filter(other_key__in=keys)
        .values(left=F("question_key"), right=F("other_key"))
        .annotate(**{name: Sum(name) for name in _SUMS})
        .order_by()
        for rows in histograms.rollup_rows(model, scope, "none", keys)
    ]
    branches.extend(_tail(scope, keys))
    cross = CrossProducts()
    for left, right, *sums in histograms.read_union(branches, ["left", "right", *_SUMS]):
        cross.add(left, right, PairSums(*(int(value or 0) for value in sums)))
    return cross


def _tail(scope: histograms.Scope, keys: list[str]) -> list:
    """Sum the tail's answers pair by pair: each response's answers joined to themselves."""
    numeric = Q(number__isnull=False, question_key__in=keys)
    branches = []
    for responses, bounds in histograms.tail_responses(scope):
        paired = (
            responses.annotate(
                first=FilteredRelation("answers", condition=_prefixed(numeric, "answers")),
                second=FilteredRelation("answers", condition=_prefixed(numeric, "answers")),
            )
            .filter(
                _rebased(bounds, "answers__", "first__"),
                _rebased(bounds, "answers__", "second__"),
                first__id__isnull=False,
                second__id__isnull=False,
                second__question_key__gte=F("first__question_key"),
            )
            .values(left=F("first__question_key"), right=F("second__question_key"))
            .annotate(
                n=Count("*"),
                sum_left=Sum("first__number"),
                sum_other=Sum("second__number"),
                sum_left_squares=Sum(F("first__number") * F("first__number")),
                sum_other_squares=Sum(F("second__number") * F("second__number")),
                sum_products=Sum(F("first__number") * F("second__number")),
            )
            .order_by()
        )
        branches.append(paired)
    return branches


def _rebased(condition: Q, old: str, new: str) -> Q:
    """Return the answers' bounds of a tail part on one of the two joined answers.

    The bounds repeat the response range on the answers' own column, so that the planner
    walks the answers' index over the tail's short range (see ``histograms.tail_conditions``).
    """
    rebased = Q(_connector=condition.connector, _negated=condition.negated)
    for child in condition.children:
        if isinstance(child, Q):
            rebased.children.append(_rebased(child, old, new))
        else:
            lookup, value = child
            rebased.children.append((new + lookup.removeprefix(old), value))
    return rebased


def _prefixed(condition: Q, relation: str) -> Q:
    return Q(**{f"{relation}__{name}": value for name, value in condition.children})


def response_matrix(
    scope: histograms.Scope, keys: list[str], *, cap: int = BOOTSTRAP_ROW_CAP, seed: int = 0
) -> np.ndarray:
    """Return one row per response of the scope, a column per key, NaN where unanswered.

    Reads raw rows (for the bootstrap, on request): responses that answered at least one
    of the keys, at most ``cap`` of them — a seeded random sample when there are more, so
    the same request gives the same intervals.
    """
    responses = histograms.scope_responses(scope)
    answers = Answer.objects.filter(
        response__in=responses, question_key__in=keys, number__isnull=False
    )
    ids = sorted(set(answers.values_list("response_id", flat=True)))
    if len(ids) > cap:
        ids = sorted(random.Random(seed).sample(ids, cap))
    position = {response_id: row for row, response_id in enumerate(ids)}
    column = {key: index for index, key in enumerate(keys)}
    matrix = np.full((len(ids), len(keys)), np.nan)
    for start in range(0, len(ids), 5_000):
        chunk = ids[start : start + 5_000]
        rows = answers.filter(response_id__in=chunk).values_list(
            "response_id", "question_key", "number"
        )
        for response_id, key, number in rows:
            matrix[position[response_id], column[key]] = number
    return matrix
