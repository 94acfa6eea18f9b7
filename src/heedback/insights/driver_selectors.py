"""Read a key-driver analysis: which domain ratings move a survey's outcome, and how well each does.

One query object in, one typed result out; the drivers page, its CSV and
``GET /api/v1/drivers`` all call ``analyse_drivers``. Importance (standardised β, the
Shapley share of R²) comes from the additive driver sums (``driver_sums``), so it costs the
same for a day or two years; performance is each domain's mean on a 0–100 score from the
same sums. Bootstrap intervals are the exception: they resample raw rows, on request only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from heedback.core.errors import InvalidInput
from heedback.insights import driver_sums, drivers, histograms
from heedback.insights.selectors import survey_questions
from heedback.orgs.models import Organisation, Unit
from heedback.surveys.definition import Question, QuestionType
from heedback.surveys.models import Survey

#: A coefficient is called significant below this p-value (two-sided).
SIGNIFICANCE_LEVEL = 0.05
PREDICTOR_TYPES = {QuestionType.RATING, QuestionType.NPS, QuestionType.CES}
OUTCOME_TYPES = {QuestionType.NPS, QuestionType.RATING}


@dataclass(frozen=True)
class DriverQuery:
    """Which outcome of which survey, over which period and unit subtree."""

    organisation: Organisation
    survey: Survey
    outcome_key: str | None = None
    unit: Unit | None = None
    date_from: date | None = None
    date_to: date | None = None
    visible_unit_paths: tuple[str, ...] | None = None
    with_bootstrap: bool = False
    bootstrap_replicates: int = 200
    bootstrap_seed: int = 0


@dataclass(frozen=True)
class DriverRow:
    """One predictor: its importance (from the sums) and performance (its own score)."""

    key: str
    text: str
    domain: str | None
    beta: float
    standard_error: float
    t: float
    p_value: float
    is_significant: bool
    vif: float
    shapley: float | None  # the predictor's part of R²
    share: float | None  # that part as a share of R²
    answered: int
    performance: float | None  # mean on a 0–100 score
    quadrant: str | None
    beta_interval: drivers.Interval | None = None
    share_interval: drivers.Interval | None = None


@dataclass(frozen=True)
class DriverResult:
    outcome: Question
    outcomes: list[Question]
    predictors: list[Question]
    rows: list[DriverRow] = field(default_factory=list)
    n: int = 0
    r_squared: float | None = None
    adjusted_r_squared: float | None = None
    condition_number: float | None = None
    warnings: tuple[drivers.FitWarning, ...] = ()
    # Why no model could be fitted (a code of ``drivers.NotEstimable``), or None.
    problem: str | None = None
    bootstrap: drivers.BootstrapResult | None = None


def outcome_questions(questions: list[Question]) -> list[Question]:
    """Return the questions that can be an outcome: NPS first, then unbound ratings.

    An overall-satisfaction rating is a rating bound to no domain; a domain rating is a
    predictor, though it may be chosen as the outcome explicitly.
    """
    nps = [q for q in questions if q.type == QuestionType.NPS]
    overall = [q for q in questions if q.type == QuestionType.RATING and q.domain is None]
    return nps + overall


def predictor_questions(questions: list[Question], outcome: Question) -> list[Question]:
    """Return the domain-bound ratings other than the outcome (all ratings if none is bound)."""
    bound = [
        q for q in questions if q.type in PREDICTOR_TYPES and q.domain and q.key != outcome.key
    ]
    if bound:
        return bound
    return [q for q in questions if q.type == QuestionType.RATING and q.key != outcome.key]


def analyse_drivers(query: DriverQuery) -> DriverResult:
    """Return the driver analysis of the query's outcome on the survey's domain ratings."""
    questions = survey_questions(query.survey)
    outcomes = outcome_questions(questions)
    outcome = _resolve_outcome(query, questions, outcomes)
    predictors = predictor_questions(questions, outcome)
    scope = histograms.Scope(
        organisation_id=query.organisation.pk,
        survey_id=query.survey.pk,
        unit_path=query.unit.path if query.unit is not None else None,
        visible_unit_paths=query.visible_unit_paths,
        date_from=query.date_from,
        date_to=query.date_to,
    )
    keys = [outcome.key, *(q.key for q in predictors)]
    cross = driver_sums.cross_products(scope, keys)
    base = DriverResult(outcome=outcome, outcomes=outcomes, predictors=predictors)
    if not predictors:
        return _replace(base, problem="no_predictors", n=cross.count(outcome.key))
    try:
        fitted = drivers.fit(cross, outcome.key, [q.key for q in predictors])
    except drivers.NotEstimable as error:
        return _replace(base, problem=error.code, n=cross.count(outcome.key))
    resampled = None
    if query.with_bootstrap:
        matrix = driver_sums.response_matrix(
            scope, [outcome.key, *fitted.predictors], seed=query.bootstrap_seed
        )
        resampled = drivers.bootstrap(
            matrix,
            outcome.key,
            list(fitted.predictors),
            replicates=query.bootstrap_replicates,
            seed=query.bootstrap_seed,
        )
    return _replace(
        base,
        rows=_rows(fitted, cross, {q.key: q for q in predictors}, resampled),
        n=fitted.n,
        r_squared=fitted.r_squared,
        adjusted_r_squared=fitted.adjusted_r_squared,
        condition_number=fitted.condition_number,
        warnings=fitted.warnings,
        bootstrap=resampled,
    )


def _replace(result: DriverResult, **changes) -> DriverResult:
    return DriverResult(**{**result.__dict__, **changes})


def _resolve_outcome(
    query: DriverQuery, questions: list[Question], outcomes: list[Question]
) -> Question:
    if query.outcome_key is None:
        if not outcomes:
            raise InvalidInput.from_pairs(
                _("The survey has no outcome question."),
                [("outcome", _("Drivers need an NPS question or an overall rating."))],
            )
        return outcomes[0]
    question = next((q for q in questions if q.key == query.outcome_key), None)
    if question is None or question.type not in OUTCOME_TYPES:
        raise InvalidInput.from_pairs(
            _("Unknown outcome."),
            [("outcome", _("Choose an NPS or rating question of the survey."))],
        )
    return question


def _rows(
    fitted: drivers.DriverFit,
    cross: drivers.CrossProducts,
    questions: dict[str, Question],
    resampled: drivers.BootstrapResult | None,
) -> list[DriverRow]:
    performance = {}
    for key in fitted.predictors:
        mean, scale = cross.mean(key), questions[key].effective_scale()
        if mean is not None and scale is not None:
            performance[key] = drivers.score_out_of_100(mean, scale.min, scale.max)
    shares = {}
    if fitted.shapley is not None and fitted.r_squared > 0:
        shares = {key: value / fitted.r_squared for key, value in fitted.shapley.items()}
    importance = shares or {c.key: abs(c.beta) for c in fitted.coefficients}
    placed = {point.key: point.quadrant for point in drivers.quadrants(importance, performance)}
    rows = []
    for coefficient in fitted.coefficients:
        key = coefficient.key
        rows.append(
            DriverRow(
                key=key,
                text=questions[key].text,
                domain=questions[key].domain,
                beta=coefficient.beta,
                standard_error=coefficient.standard_error,
                t=coefficient.t,
                p_value=coefficient.p_value,
                is_significant=coefficient.p_value < SIGNIFICANCE_LEVEL,
                vif=coefficient.vif,
                shapley=fitted.shapley.get(key) if fitted.shapley else None,
                share=shares.get(key),
                answered=cross.count(key),
                performance=performance.get(key),
                quadrant=placed.get(key),
                beta_interval=resampled.beta.get(key) if resampled else None,
                share_interval=resampled.shapley_share.get(key) if resampled else None,
            )
        )
    rows.sort(key=lambda row: -(row.share if row.share is not None else abs(row.beta)))
    return rows
