"""Evidence from an organisation's own data: the indicator contract and how indicators combine.

An *indicator* measures one practice from data (share of units collecting feedback, eNPS,
share of detractors followed up …) and says the highest continuum level its value
supports. The evidence level of a factor is the lowest of those levels among the
indicators that could be measured: a level needs all of its practices, so the weakest
measured practice is where the data places the organisation, and that indicator is named
as the reason. Overall evidence combines the factors like the self-assessment does.

Indicators come from any installed app (see ``registry.py``): this module is the contract
they are written against. It is pure Python so that apps can import it without importing
the continuum app's models, and so that the combination is tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from heedback.continuum.instrument import Factor, Level
from heedback.continuum.scoring import OverallResult, overall_level
from heedback.surveys.confidentiality import MINIMUM_RESPONDENTS

#: No cell of employee answers with fewer respondents is ever shown (pages, API, exports);
#: the one rule lives with the surveys, where every app that shows responses reads it.
CONFIDENTIALITY_MINIMUM = MINIMUM_RESPONDENTS


class Status(StrEnum):
    """Say whether an indicator has a value, and if not, why not."""

    MEASURED = "measured"
    SMALL_SAMPLE = "small_sample"  # shown, but too few answers to support a level
    NO_DATA = "no_data"  # measurable, but nothing to measure yet (no pulse, no NPS question)
    WITHHELD = "withheld"  # fewer respondents than the confidentiality minimum
    NOT_MEASURED = "not_measured"  # needs an app Heedback does not have yet
    NOT_AVAILABLE = "not_available"  # the analysis does not exist in Heedback yet


@dataclass(frozen=True)
class Measurement:
    """An indicator's value for one scope and the highest level that value supports.

    ``display`` is the value as shown ("60%", "+12", "yes"); ``detail`` one sentence with
    the numbers behind it. ``level`` is None unless the status is MEASURED.
    """

    status: Status
    value: float | None = None
    display: str = ""
    level: Level | None = None
    detail: str = ""
    n: int | None = None


@dataclass(frozen=True)
class Scope:
    """Where to measure: the whole organisation (``unit_id`` None, path "") or a unit subtree."""

    unit_id: int | None
    path: str
    name: str = ""

    def contains(self, unit_path: str) -> bool:
        """Return whether a unit with ``unit_path`` lies in this scope."""
        return unit_path.startswith(self.path)


@dataclass(frozen=True)
class EvidenceRequest:
    """What every indicator is asked: these scopes of this organisation, as of this moment.

    ``memo`` lets the indicators of one app share the queries they have in common for the
    length of one request (the built-in indicators read one snapshot).
    """

    organisation: Any
    scopes: tuple[Scope, ...]
    as_of: datetime
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


Measure = Callable[[EvidenceRequest], Sequence[Measurement]]


@dataclass(frozen=True)
class Indicator:
    """One practice measured from data, declared by the app that can measure it.

    ``measure`` returns one Measurement per scope of the request, in the same order, from
    a fixed number of queries however many scopes are asked for. An indicator without
    ``measure`` is a placeholder: it is shown as not measured yet, naming ``provided_by``,
    until an app declares an indicator with the same key that measures it.
    """

    key: str
    factor: Factor
    label: str
    description: str
    step: str = ""
    feature: str | None = None
    measure: Measure | None = None
    provided_by: str = ""
    is_available: bool = True
    order: int = 100


@dataclass(frozen=True)
class IndicatorResult:
    indicator: Indicator
    measurement: Measurement

    @property
    def is_decisive(self) -> bool:
        return self.measurement.status == Status.MEASURED and self.measurement.level is not None


@dataclass(frozen=True)
class FactorEvidence:
    """A factor's evidence level, every indicator's result and the ones that set the level."""

    factor: Factor
    level: Level | None
    results: tuple[IndicatorResult, ...]
    limiting: tuple[IndicatorResult, ...]

    @property
    def measured_count(self) -> int:
        return sum(1 for result in self.results if result.is_decisive)


@dataclass(frozen=True)
class EvidencePlacement:
    factors: tuple[FactorEvidence, ...]
    overall: OverallResult

    def factor(self, factor: Factor) -> FactorEvidence:
        return next(item for item in self.factors if item.factor == factor)


def level_from_bands(value: float, bands: Sequence[tuple[float, Level]]) -> Level:
    """Return the level of the highest band whose lower bound ``value`` reaches.

    ``bands`` are (lower bound, level) in ascending order; the first bound should be
    ``-math.inf`` so that every value has a level.
    """
    chosen = bands[0][1]
    for lower, level in bands:
        if value >= lower:
            chosen = level
    return chosen


def placeholder(indicator: Indicator) -> Measurement:
    """Return the measurement shown for an indicator nobody measures yet."""
    status = Status.NOT_MEASURED if indicator.is_available else Status.NOT_AVAILABLE
    return Measurement(status=status)


def combine_factor(factor: Factor, results: Iterable[IndicatorResult]) -> FactorEvidence:
    """Place one factor at the lowest level its measured indicators support."""
    own = tuple(result for result in results if result.indicator.factor == factor)
    decisive = [result for result in own if result.is_decisive]
    if not decisive:
        return FactorEvidence(factor, None, own, ())
    level = min(result.measurement.level for result in decisive)
    limiting = tuple(result for result in decisive if result.measurement.level == level)
    return FactorEvidence(factor, level, own, limiting)


def evidence_placement(
    results: Iterable[IndicatorResult], weights: Mapping[Factor, float]
) -> EvidencePlacement:
    """Combine indicator results into a level per factor and overall."""
    results = tuple(results)
    factors = tuple(combine_factor(factor, results) for factor in Factor)
    overall = overall_level({item.factor: item.level for item in factors}, weights)
    return EvidencePlacement(factors, overall)


class Comparison(StrEnum):
    """How the self-assessed level and the evidence level of a factor relate."""

    AGREE = "agree"
    SELF_HIGHER = "self_higher"
    SELF_LOWER = "self_lower"
    NO_SELF = "no_self"
    NO_EVIDENCE = "no_evidence"
    NEITHER = "neither"


def compare(self_level: Level | None, evidence_level: Level | None) -> Comparison:
    """Return how a self-assessed level stands against the evidence level."""
    if self_level is None and evidence_level is None:
        return Comparison.NEITHER
    if self_level is None:
        return Comparison.NO_SELF
    if evidence_level is None:
        return Comparison.NO_EVIDENCE
    if self_level > evidence_level:
        return Comparison.SELF_HIGHER
    if self_level < evidence_level:
        return Comparison.SELF_LOWER
    return Comparison.AGREE
