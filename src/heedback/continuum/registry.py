"""Find the evidence indicators that the installed apps declare, and measure them.

An app declares indicators on its AppConfig, as it declares periodic jobs::

    class LoopConfig(AppConfig):
        continuum_indicators = ["heedback.loop.evidence.INDICATORS"]

each path naming an iterable of ``evidence.Indicator``. An indicator that measures (has a
``measure``) replaces a placeholder with the same key, whichever app comes first, so a new
app fills in "not measured yet" rows without an edit to the continuum app. Two apps that
both measure one key are a configuration error, reported at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from heedback.continuum.evidence import (
    EvidenceRequest,
    Indicator,
    IndicatorResult,
    Measurement,
    placeholder,
)
from heedback.continuum.instrument import Factor

_FACTOR_ORDER = {factor: index for index, factor in enumerate(Factor)}


def declared_indicators() -> Iterable[Indicator]:
    """Yield every indicator the installed apps declare, in app order."""
    for config in apps.get_app_configs():
        for path in getattr(config, "continuum_indicators", ()):
            yield from import_string(path)


def resolve(indicators: Iterable[Indicator]) -> list[Indicator]:
    """Keep one indicator per key, preferring one that measures over a placeholder."""
    chosen: dict[str, Indicator] = {}
    for indicator in indicators:
        existing = chosen.get(indicator.key)
        if existing is None or (existing.measure is None and indicator.measure is not None):
            chosen[indicator.key] = indicator
        elif existing.measure is not None and indicator.measure is not None:
            raise ImproperlyConfigured(
                f"Two apps measure the continuum indicator {indicator.key!r}."
            )
    return sorted(
        chosen.values(), key=lambda item: (_FACTOR_ORDER[item.factor], item.order, item.key)
    )


def registered_indicators() -> list[Indicator]:
    """Return the indicators in effect: one per key, ordered by factor."""
    return resolve(declared_indicators())


def measure_all(
    request: EvidenceRequest, indicators: Sequence[Indicator] | None = None
) -> list[list[IndicatorResult]]:
    """Measure every indicator for every scope; return one list of results per scope."""
    indicators = registered_indicators() if indicators is None else indicators
    per_scope: list[list[IndicatorResult]] = [[] for _scope in request.scopes]
    for indicator in indicators:
        if indicator.measure is None:
            measurements: Sequence[Measurement] = [placeholder(indicator)] * len(request.scopes)
        else:
            measurements = indicator.measure(request)
            if len(measurements) != len(request.scopes):
                raise ValueError(f"indicator {indicator.key!r} answered for the wrong scopes")
        for results, measurement in zip(per_scope, measurements, strict=True):
            results.append(IndicatorResult(indicator, measurement))
    return per_scope
