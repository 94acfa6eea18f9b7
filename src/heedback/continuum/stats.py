"""The correlation across units between employee and customer scores, with its interval.

Pure Python. Pearson's r measures a straight-line relation; Spearman's rho (Pearson's r of
the ranks, ties sharing their mean rank) a monotone one and is less moved by one unusual
unit. Both intervals use Fisher's z transformation: standard error 1/√(n−3) for Pearson,
√(1.06/(n−3)) for Spearman (Fieller, Hartley and Pearson, 1957). They need at least four
units; with few units they are wide, and the pages say so rather than show a confident
number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from heedback.insights.metrics import Z_95

#: Below this many units a correlation is shown with a warning that it says little.
FEW_UNITS = 10
#: Fieller, Hartley and Pearson's variance factor for Spearman's rho under Fisher's z.
SPEARMAN_VARIANCE_FACTOR = 1.06


@dataclass(frozen=True)
class Correlation:
    r: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def is_few(self) -> bool:
        return self.n < FEW_UNITS


def pearson(pairs: Sequence[tuple[float, float]]) -> Correlation:
    """Return Pearson's r of the pairs with a 95 % Fisher-z interval (None where undefined)."""
    return _correlation(pairs, 1.0)


def spearman(pairs: Sequence[tuple[float, float]]) -> Correlation:
    """Return Spearman's rho of the pairs with a 95 % Fisher-z interval."""
    xs, ys = ranks([x for x, _y in pairs]), ranks([y for _x, y in pairs])
    return _correlation(list(zip(xs, ys, strict=True)), SPEARMAN_VARIANCE_FACTOR)


def ranks(values: Sequence[float]) -> list[float]:
    """Return the rank of each value (1 = smallest), tied values sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda index: values[index])
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        mean_rank = (start + end) / 2 + 1
        for position in range(start, end + 1):
            result[order[position]] = mean_rank
        start = end + 1
    return result


def _correlation(pairs: Sequence[tuple[float, float]], variance_factor: float) -> Correlation:
    n = len(pairs)
    if n < 3:
        return Correlation(None, None, None, n)
    mean_x = math.fsum(x for x, _y in pairs) / n
    mean_y = math.fsum(y for _x, y in pairs) / n
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in pairs)
    sxx = math.fsum((x - mean_x) ** 2 for x, _y in pairs)
    syy = math.fsum((y - mean_y) ** 2 for _x, y in pairs)
    if sxx == 0 or syy == 0:
        return Correlation(None, None, None, n)
    r = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
    if n < 4 or abs(r) == 1.0:
        return Correlation(r, None, None, n)
    z = math.atanh(r)
    half = Z_95 * math.sqrt(variance_factor / (n - 3))
    return Correlation(r, math.tanh(z - half), math.tanh(z + half), n)
