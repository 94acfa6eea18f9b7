"""Key-driver statistics from pairwise cross-product sums: pure functions, no Django.

Which domains move the outcome (NPS, overall satisfaction)? Everything here starts from
``CrossProducts`` — for each pair of variables, over the responses that answered both, the
count, Σx, Σy, Σx², Σy² and Σxy — which the rollups keep additively (ADR 0002), so a fit
for any period and unit costs a few hundred summed rows, never a pass over responses.

From the sums follow the pairwise correlation matrix and, from it:

- standardised regression coefficients (β = R⁻¹ r), their standard errors, t and p-values
  and R², exactly what OLS on z-scored data gives when every response answered every
  question (with missing answers, the pairwise matrix is the estimate, and n is the
  smallest pairwise count: see ``fit``);
- the Shapley decomposition of R² (general dominance): each predictor's average gain in
  R² over all subsets of the others, exact over all 2^p subsets up to
  ``MAX_SHAPLEY_PREDICTORS``;
- the importance–performance quadrant;
- warnings when n is small for the number of predictors or predictors are collinear.

Bootstrap intervals need row-level data (``bootstrap``): they come from resampling raw
rows, not from the sums, and say so.

The Welch test on two means from summary moments lives here too, for the perception gap
and anyone else comparing means.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy import stats

from heedback.insights import significance
from heedback.insights.metrics import student_t_quantile

#: Shapley values are exact over every subset of predictors: 2^p regressions.
MAX_SHAPLEY_PREDICTORS = 12
#: Fewer responses than this per predictor make coefficients unstable (a common rule).
MINIMUM_N_PER_PREDICTOR = 10
#: Belsley's threshold for the condition index (√ of the eigenvalue ratio) of the
#: predictors' correlation matrix.
CONDITION_NUMBER_LIMIT = 30.0
#: A variance inflation factor above this means a predictor is largely explained by others.
VIF_LIMIT = 5.0

FIX_FIRST = "fix_first"
KEEP_UP = "keep_up"
POSSIBLE_OVERKILL = "possible_overkill"
LOW_PRIORITY = "low_priority"
QUADRANTS = (FIX_FIRST, KEEP_UP, POSSIBLE_OVERKILL, LOW_PRIORITY)


class NotEstimable(ValueError):
    """The sums cannot support a fit; ``code`` says why (for a translated message)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


@dataclass(frozen=True)
class PairSums:
    """Sums over the responses that answered both questions of a pair."""

    n: int = 0
    sum_left: int = 0
    sum_other: int = 0
    sum_left_squares: int = 0
    sum_other_squares: int = 0
    sum_products: int = 0

    def __add__(self, other: PairSums) -> PairSums:
        return PairSums(
            self.n + other.n,
            self.sum_left + other.sum_left,
            self.sum_other + other.sum_other,
            self.sum_left_squares + other.sum_left_squares,
            self.sum_other_squares + other.sum_other_squares,
            self.sum_products + other.sum_products,
        )

    def swapped(self) -> PairSums:
        return PairSums(
            self.n,
            self.sum_other,
            self.sum_left,
            self.sum_other_squares,
            self.sum_left_squares,
            self.sum_products,
        )

    def correlation(self) -> float | None:
        """Return Pearson's r over the pair's responses; None if either side is constant.

        Numerators are computed on the exact integer sums, so nothing cancels in floating
        point however many responses there are.
        """
        covariance = self.n * self.sum_products - self.sum_left * self.sum_other
        left = self.n * self.sum_left_squares - self.sum_left**2
        other = self.n * self.sum_other_squares - self.sum_other**2
        if left <= 0 or other <= 0:
            return None
        return covariance / math.sqrt(left * other)


@dataclass
class CrossProducts:
    """Pairwise sums of a set of variables, keyed by ``(a, b)`` with ``a <= b``."""

    pairs: dict[tuple[str, str], PairSums] = field(default_factory=dict)

    def add(self, left: str, other: str, sums: PairSums) -> None:
        key, sums = ((left, other), sums) if left <= other else ((other, left), sums.swapped())
        self.pairs[key] = self.pairs.get(key, PairSums()) + sums

    def pair(self, left: str, other: str) -> PairSums:
        """Return the sums of a pair, oriented as asked (left first)."""
        if left <= other:
            return self.pairs.get((left, other), PairSums())
        return self.pairs.get((other, left), PairSums()).swapped()

    def count(self, key: str) -> int:
        return self.pair(key, key).n

    def mean(self, key: str) -> float | None:
        own = self.pair(key, key)
        return own.sum_left / own.n if own.n else None

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, float | None]], keys: Sequence[str]):
        """Sum rows of answers (None or absent: not answered) the way the rollups do."""
        cross = cls()
        for row in rows:
            present = sorted(key for key in keys if row.get(key) is not None)
            for index, left in enumerate(present):
                x = row[left]
                for other in present[index:]:
                    y = row[other]
                    cross.add(left, other, PairSums(1, x, y, x * x, y * y, x * y))
        return cross


@dataclass(frozen=True)
class Coefficient:
    """One predictor's standardised coefficient and its test (t with n − p − 1 df)."""

    key: str
    beta: float
    standard_error: float
    t: float
    p_value: float
    vif: float


@dataclass(frozen=True)
class FitWarning:
    """Something that makes a fit less reliable; ``code`` picks the message, ``values`` fill it."""

    code: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class DriverFit:
    """A driver regression of one outcome on its predictors, from the sums alone."""

    outcome: str
    predictors: tuple[str, ...]
    n: int
    largest_n: int
    r_squared: float
    adjusted_r_squared: float
    coefficients: tuple[Coefficient, ...]
    # Each predictor's share of R² (general dominance); None beyond MAX_SHAPLEY_PREDICTORS.
    shapley: Mapping[str, float] | None
    condition_number: float
    dropped: tuple[str, ...]
    warnings: tuple[FitWarning, ...]

    def coefficient(self, key: str) -> Coefficient:
        return next(c for c in self.coefficients if c.key == key)


def correlation_matrix(cross: CrossProducts, keys: Sequence[str]) -> np.ndarray:
    """Return the pairwise correlation matrix of ``keys`` (NaN where undefined)."""
    size = len(keys)
    matrix = np.eye(size)
    for i, j in combinations(range(size), 2):
        value = cross.pair(keys[i], keys[j]).correlation()
        matrix[i, j] = matrix[j, i] = np.nan if value is None else value
    return matrix


def fit(cross: CrossProducts, outcome: str, predictors: Sequence[str]) -> DriverFit:
    """Regress the standardised outcome on the standardised predictors, from the sums.

    Predictors nobody answered alongside the outcome, or answered always alike, are
    dropped (and named). n is the smallest pairwise count among the variables kept: with
    complete answers every count is the same and the fit is exactly OLS on z-scored data;
    with missing answers (pairwise deletion, ADR 0002) the smallest count keeps the
    standard errors from claiming more data than some correlation rests on.
    """
    kept, dropped = _usable(cross, outcome, predictors)
    if not kept:
        raise NotEstimable("no_predictors", "no predictor varies alongside the outcome")
    keys = [outcome, *kept]
    counts = [cross.pair(a, b).n for a, b in combinations(keys, 2)]
    n, largest_n = min(counts), max(counts)
    size = len(kept)
    if n <= size + 1:
        raise NotEstimable("too_few", f"{n} responses for {size} predictors")
    matrix = correlation_matrix(cross, keys)
    if np.isnan(matrix).any():
        raise NotEstimable("undefined_correlation", "a pair of questions has no variation")
    predictors_matrix, with_outcome = matrix[1:, 1:], matrix[1:, 0]
    eigenvalues = np.linalg.eigvalsh(predictors_matrix)
    if eigenvalues[0] <= 1e-10:
        raise NotEstimable("singular", "the predictors are linearly dependent")
    inverse = np.linalg.inv(predictors_matrix)
    beta = inverse @ with_outcome
    r_squared = float(with_outcome @ beta)
    if not 0.0 <= r_squared < 1.0:
        raise NotEstimable("not_positive_definite", "the pairwise correlations are inconsistent")
    residual_df = n - size - 1
    standard_errors = np.sqrt((1.0 - r_squared) / residual_df * np.diag(inverse))
    t_values = beta / standard_errors
    p_values = 2.0 * stats.t.sf(np.abs(t_values), residual_df)
    vifs = np.diag(inverse)
    coefficients = tuple(
        Coefficient(key, float(b), float(se), float(t), float(p), float(v))
        for key, b, se, t, p, v in zip(
            kept, beta, standard_errors, t_values, p_values, vifs, strict=True
        )
    )
    # Belsley's condition index: the square root of the largest over the smallest eigenvalue.
    condition_number = math.sqrt(float(eigenvalues[-1] / eigenvalues[0]))
    shapley = None
    if size <= MAX_SHAPLEY_PREDICTORS:
        values = shapley_values(predictors_matrix, with_outcome)
        shapley = {key: float(value) for key, value in zip(kept, values, strict=True)}
    fitted = DriverFit(
        outcome=outcome,
        predictors=tuple(kept),
        n=n,
        largest_n=largest_n,
        r_squared=r_squared,
        adjusted_r_squared=1.0 - (1.0 - r_squared) * (n - 1) / residual_df,
        coefficients=coefficients,
        shapley=shapley,
        condition_number=condition_number,
        dropped=tuple(dropped),
        warnings=(),
    )
    return _with_warnings(fitted)


def _usable(cross: CrossProducts, outcome: str, predictors: Sequence[str]):
    if cross.pair(outcome, outcome).correlation() is None:
        raise NotEstimable("constant_outcome", "the outcome has no variation")
    kept, dropped = [], []
    for key in dict.fromkeys(predictors):
        if key == outcome:
            continue
        pair = cross.pair(outcome, key)
        if pair.correlation() is None:
            dropped.append(key)
        else:
            kept.append(key)
    return kept, dropped


def _with_warnings(fitted: DriverFit) -> DriverFit:
    warnings = []
    size = len(fitted.predictors)
    if fitted.n < MINIMUM_N_PER_PREDICTOR * size:
        warnings.append(
            FitWarning(
                "small_sample",
                {"n": fitted.n, "predictors": size, "needed": MINIMUM_N_PER_PREDICTOR * size},
            )
        )
    if fitted.condition_number > CONDITION_NUMBER_LIMIT:
        warnings.append(
            FitWarning("collinearity", {"condition_number": round(fitted.condition_number, 1)})
        )
    inflated = [c.key for c in fitted.coefficients if c.vif > VIF_LIMIT]
    if inflated:
        warnings.append(FitWarning("high_vif", {"keys": tuple(inflated), "limit": VIF_LIMIT}))
    if fitted.largest_n != fitted.n:
        warnings.append(FitWarning("pairwise", {"n": fitted.n, "largest_n": fitted.largest_n}))
    if fitted.dropped:
        warnings.append(FitWarning("dropped", {"keys": fitted.dropped}))
    if fitted.shapley is None:
        warnings.append(FitWarning("too_many_for_shapley", {"limit": MAX_SHAPLEY_PREDICTORS}))
    return DriverFit(**{**fitted.__dict__, "warnings": tuple(warnings)})


def subset_r_squared(predictors_matrix: np.ndarray, with_outcome: np.ndarray) -> np.ndarray:
    """Return R² of the regression on every subset of predictors, indexed by bitmask.

    Subsets of one size are solved together as a stack of small systems.
    """
    size = len(with_outcome)
    result = np.zeros(1 << size)
    for subset_size in range(1, size + 1):
        chosen = np.array(list(combinations(range(size), subset_size)))
        blocks = predictors_matrix[chosen[:, :, None], chosen[:, None, :]]
        targets = with_outcome[chosen]
        solutions = np.linalg.solve(blocks, targets[..., None])[..., 0]
        masks = (1 << chosen).sum(axis=1)
        result[masks] = np.einsum("ij,ij->i", targets, solutions)
    return result


def shapley_values(predictors_matrix: np.ndarray, with_outcome: np.ndarray) -> np.ndarray:
    """Return each predictor's Shapley value of R² (general dominance); they sum to R².

    φ_j = Σ over subsets S of the others of |S|! (p − |S| − 1)! / p! · (R²(S with j) − R²(S)).
    """
    size = len(with_outcome)
    r_squared = subset_r_squared(predictors_matrix, with_outcome)
    masks = np.arange(1 << size)
    sizes = np.array([bin(mask).count("1") for mask in masks])
    weights = np.array(
        [
            math.factorial(s) * math.factorial(size - s - 1) / math.factorial(size)
            for s in range(size)
        ]
    )
    values = np.zeros(size)
    for j in range(size):
        without = masks[(masks >> j) & 1 == 0]
        gains = r_squared[without | (1 << j)] - r_squared[without]
        values[j] = float(np.sum(weights[sizes[without]] * gains))
    return values


@dataclass(frozen=True)
class QuadrantPoint:
    """A driver placed by importance (share of R²) and performance (score out of 100)."""

    key: str
    importance: float
    performance: float
    quadrant: str


def quadrants(
    importance: Mapping[str, float], performance: Mapping[str, float]
) -> list[QuadrantPoint]:
    """Place each driver against the averages of importance and of performance.

    Above-average importance with below-average performance is where improvement pays
    first ("fix first"); above both, "keep up"; important little but performing well,
    "possible overkill"; below both, "low priority". The split is relative to this set of
    drivers, which is what a manager choosing among them needs.
    """
    keys = [key for key in importance if key in performance]
    if not keys:
        return []
    importance_line = sum(importance[key] for key in keys) / len(keys)
    performance_line = sum(performance[key] for key in keys) / len(keys)
    points = []
    for key in keys:
        is_important = importance[key] >= importance_line
        performs = performance[key] >= performance_line
        if is_important:
            quadrant = KEEP_UP if performs else FIX_FIRST
        else:
            quadrant = POSSIBLE_OVERKILL if performs else LOW_PRIORITY
        points.append(QuadrantPoint(key, importance[key], performance[key], quadrant))
    return points


def score_out_of_100(mean: float, scale_min: int, scale_max: int) -> float:
    """Return a mean on its scale as a score from 0 (the lowest point) to 100 (the highest)."""
    return 100.0 * (mean - scale_min) / (scale_max - scale_min)


# -- bootstrap: from rows, not sums ------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class BootstrapResult:
    """Percentile intervals from resampled rows, with how they were drawn."""

    rows: int
    replicates: int
    failed: int
    seed: int
    level: float
    beta: Mapping[str, Interval]
    shapley_share: Mapping[str, Interval]


def cross_products_of(matrix: np.ndarray, keys: Sequence[str]) -> CrossProducts:
    """Return the pairwise sums of a rows × variables matrix (NaN: not answered)."""
    present = ~np.isnan(matrix)
    values = np.where(present, matrix, 0.0)
    weights = present.astype(float)
    counts = weights.T @ weights
    sums = values.T @ weights  # [a, b]: Σ x_a over the rows answering both a and b
    squares = (values * values).T @ weights
    products = values.T @ values
    cross = CrossProducts()
    for i, j in combinations(range(len(keys)), 2):
        if not counts[i, j]:
            continue
        cross.add(
            keys[i],
            keys[j],
            PairSums(
                round(counts[i, j]),
                round(sums[i, j]),
                round(sums[j, i]),
                round(squares[i, j]),
                round(squares[j, i]),
                round(products[i, j]),
            ),
        )
    for i, key in enumerate(keys):
        n, total, square = round(counts[i, i]), round(sums[i, i]), round(squares[i, i])
        if n:
            cross.add(key, key, PairSums(n, total, total, square, square, square))
    return cross


def bootstrap(
    matrix: np.ndarray,
    outcome: str,
    predictors: Sequence[str],
    *,
    replicates: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> BootstrapResult:
    """Return percentile intervals for β and the Shapley share of R², resampling rows.

    ``matrix`` holds one row per response, the outcome in column 0 and ``predictors`` after
    it, NaN where not answered; values must be whole numbers (answers are). A replicate
    that cannot be fitted (a resample with a constant column) is skipped and counted.
    """
    keys = [outcome, *predictors]
    generator = np.random.default_rng(seed)
    betas: dict[str, list[float]] = {key: [] for key in predictors}
    shares: dict[str, list[float]] = {key: [] for key in predictors}
    failed = 0
    for _replicate in range(replicates):
        sample = matrix[generator.integers(0, len(matrix), len(matrix))]
        try:
            fitted = fit(cross_products_of(sample, keys), outcome, predictors)
        except NotEstimable:
            failed += 1
            continue
        if fitted.dropped:
            failed += 1
            continue
        for coefficient in fitted.coefficients:
            betas[coefficient.key].append(coefficient.beta)
        for key, value in (fitted.shapley or {}).items():
            shares[key].append(value / fitted.r_squared if fitted.r_squared else 0.0)
    tail = (1.0 - level) / 2.0
    return BootstrapResult(
        rows=len(matrix),
        replicates=replicates,
        failed=failed,
        seed=seed,
        level=level,
        beta=_percentiles(betas, tail),
        shapley_share=_percentiles(shares, tail),
    )


def _percentiles(draws: Mapping[str, list[float]], tail: float) -> dict[str, Interval]:
    return {
        key: Interval(float(np.quantile(values, tail)), float(np.quantile(values, 1.0 - tail)))
        for key, values in draws.items()
        if values
    }


# -- comparing two means ---------------------------------------------------------------------


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of a sample: enough for its mean and variance."""

    n: int = 0
    total: float = 0.0
    squares: float = 0.0

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.squares + other.squares)

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        """Return the sample variance (n − 1 in the denominator); None below two values."""
        if self.n < 2:
            return None
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))

    @classmethod
    def of_histogram(
        cls, histogram: Mapping[int, int], scale_min: int = 0, scale_max: int | None = None
    ) -> Moments:
        """Return the moments of a ``{value: count}`` histogram, on 0–100 if a scale is given."""
        moments = cls()
        for value, count in histogram.items():
            point = float(value)
            if scale_max is not None:
                point = score_out_of_100(value, scale_min, scale_max)
            moments += cls(count, count * point, count * point * point)
        return moments


@dataclass(frozen=True)
class WelchResult:
    """The difference of two means (first minus second) and Welch's t-test of it."""

    difference: float
    t: float | None
    df: float | None
    p_value: float | None
    ci_low: float | None
    ci_high: float | None


def welch_test(first: Moments, second: Moments, *, level: float = 0.95) -> WelchResult | None:
    """Return Welch's unequal-variance t-test of two means; None if either has n < 2.

    The test is ``significance.welch_from_sums`` (the one Welch of the app); this adds the
    interval of the difference. When both samples have no spread at all the difference is
    certain if non-zero (p = 0) and absent otherwise (p = 1), with no t and no df.
    """
    if first.n < 2 or second.n < 2:
        return None
    test = significance.welch_from_sums(
        first.n, first.total, first.squares, second.n, second.total, second.squares
    )
    difference = test.difference
    if test.standard_error == 0.0:
        return WelchResult(difference, None, None, test.p_value, difference, difference)
    margin = student_t_quantile(0.5 + level / 2.0, test.df) * test.standard_error
    return WelchResult(
        difference, test.statistic, test.df, test.p_value, difference - margin, difference + margin
    )


def holm_adjusted(p_values: Sequence[float | None]) -> list[float | None]:
    """Return Holm's adjusted p-values (``significance.holm_adjust``); None stays None.

    Holm controls the chance of any false "significant" among many cells compared at once,
    without assuming the tests are independent.
    """
    adjusted = iter(significance.holm_adjust([p for p in p_values if p is not None]))
    return [None if p is None else next(adjusted) for p in p_values]
