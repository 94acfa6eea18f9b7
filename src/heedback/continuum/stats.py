"""The correlation across units between employee and customer scores, with its interval.

Pure Python. The interval uses Fisher's z transformation, which is the standard for a
Pearson correlation and needs at least four pairs; with few units it is wide, and the
pages say so rather than show a confident number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from heedback.insights.metrics import Z_95

#: Below this many units a correlation is shown with a warning that it says little.
FEW_UNITS = 10


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
    half = Z_95 / math.sqrt(n - 3)
    return Correlation(r, math.tanh(z - half), math.tanh(z + half), n)
