from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Schema
from pydantic import Field, StrictInt

Agreement = Annotated[StrictInt, Field(ge=1, le=5)]


class LevelOut(Schema):
    key: str
    name: str
    number: int


class FactorOut(Schema):
    key: str
    name: str
    description: str


class ScaleOut(Schema):
    min: int
    max: int
    labels: list[str]


class StatementOut(Schema):
    id: str
    factor: str
    level: str
    text: str
    is_custom: bool


class InstrumentOut(Schema):
    version: int
    scale: ScaleOut
    levels: list[LevelOut]
    factors: list[FactorOut]
    statements: list[StatementOut]


class AssessmentIn(Schema):
    unit: int | None = Field(default=None, description="A unit id; leave out for the organisation.")
    respondent: str = Field(
        default="",
        max_length=200,
        description="Who answered, as you name them; each name counts as one respondent.",
    )
    answers: dict[str, Agreement | None] = Field(
        min_length=1, description="Agreement 1-5 by statement id; null for don't know."
    )


class AnswerOut(Schema):
    statement: str
    text: str
    level: str
    agreement: float | None


class SelfFactorOut(Schema):
    level: LevelOut | None
    reason: str
    explanation: str
    answered: int
    total: int
    decisive: list[AnswerOut]
    holding_back: list[AnswerOut]
    contradictions: list[AnswerOut]


class AssessedFactorOut(SelfFactorOut):
    factor: str
    name: str


class AssessmentPlacementOut(Schema):
    overall: LevelOut | None
    answered: int
    total: int
    is_all_neutral: bool
    factors: list[AssessedFactorOut]


class AssessmentOut(Schema):
    id: int
    unit: int | None
    respondent: str
    instrument_version: int
    submitted_at: datetime
    placement: AssessmentPlacementOut


class PlacementFilters(Schema):
    unit: int | None = None


class IndicatorOut(Schema):
    key: str
    label: str
    description: str
    status: str
    status_label: str
    value: float | None
    display: str
    level: LevelOut | None
    detail: str
    n: int | None


class EvidenceOut(Schema):
    level: LevelOut | None
    indicators: list[IndicatorOut]
    limiting: list[str]


class StepOut(Schema):
    text: str
    source: str
    reference: str
    feature: str | None
    feature_label: str | None
    url: str | None


class StepsOut(Schema):
    current: LevelOut | None
    target: LevelOut | None
    steps: list[StepOut]


class FactorPlacementOut(Schema):
    factor: str
    name: str
    self_assessed: SelfFactorOut | None
    evidence: EvidenceOut
    comparison: str
    message: str
    next_steps: StepsOut


class ScopeOut(Schema):
    unit: int | None
    name: str


class SelfAssessmentOut(Schema):
    respondents: int
    latest_at: datetime | None
    roles: dict[str, int]
    answered: int
    total: int
    is_all_neutral: bool


class OverallOut(Schema):
    self_assessed: LevelOut | None
    evidence: LevelOut | None
    comparison: str
    message: str


class PlacementOut(Schema):
    scope: ScopeOut
    as_of: datetime
    instrument_version: int
    self_assessment: SelfAssessmentOut
    overall: OverallOut
    factors: list[FactorPlacementOut]


class InternalFilters(Schema):
    pulse: int | None = None
    survey: int | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class FigureOut(Schema):
    value: float | None
    display: str
    n: int | None
    ci_low: float | None
    ci_high: float | None
    is_withheld: bool


class InternalMeasureOut(Schema):
    key: str
    label: str
    metric: str
    is_employee: bool


class InternalUnitOut(Schema):
    unit: int | None
    unit_name: str
    depth: int
    respondents: FigureOut
    figures: dict[str, FigureOut]


class CorrelationOut(Schema):
    r: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    is_few: bool


class InternalCorrelationOut(Schema):
    employee_measure: str
    employee_label: str
    customer_measure: str
    pearson: CorrelationOut
    spearman: CorrelationOut
    caveat: str


class InternalCustomersOut(Schema):
    pulse: int | None
    pulse_name: str
    survey: int | None
    survey_name: str
    date_from: date | None
    date_to: date | None
    minimum_respondents: int
    correlation_minimum_answers: int
    measures: list[InternalMeasureOut]
    units: list[InternalUnitOut]
    total: InternalUnitOut | None
    correlations: list[InternalCorrelationOut]


class PlanTargetIn(Schema):
    unit: int | None = None
    channel: str = ""
    segment: str | None = None  # a customers' value tier; empty or null for every customer
    metric: str
    target: float


class PlanIn(Schema):
    name: str
    starts_on: date
    ends_on: date
    survey: int | None = None
    targets: list[PlanTargetIn] = Field(default_factory=list)


class PlanSummaryOut(Schema):
    id: int
    name: str
    starts_on: date
    ends_on: date
    survey: int | None


class PlanTargetOut(Schema):
    id: int
    unit: int | None
    unit_name: str
    scope_name: str
    channel: str
    channel_name: str
    segment: str
    segment_name: str
    segment_known: bool
    metric: str
    metric_name: str
    target: float
    actual: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    note: str
    standing: str
    standing_name: str


class PlanStandingsOut(Schema):
    on_track: int
    at_risk: int
    missed: int
    no_data: int


class PlanOut(Schema):
    id: int
    name: str
    starts_on: date
    ends_on: date
    judged_to: date
    is_running: bool
    survey: int | None
    survey_name: str
    summary: PlanStandingsOut
    targets: list[PlanTargetOut]
