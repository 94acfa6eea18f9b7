"""The continuum instrument as validated, versioned data: statements, weights and thresholds.

An instrument version is a plain document (see ``instrument_v1.py``) read into the pydantic
models below, so the statements, their levels and weights and the scoring thresholds are
data that can be reviewed, versioned and extended by an organisation, while the rules that
read them live in ``scoring.py``. An assessment records the version it answered; a new
version never changes the meaning of old answers.

Pure Python: no database, no settings; ``scoring.py`` and the tests use it directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum, StrEnum
from functools import cached_property
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

STATEMENT_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]{2,62}")
#: Ids of an organisation's own statements: ``org_`` and the row's primary key.
CUSTOM_PREFIX = "org_"


class Level(IntEnum):
    """Name the five levels of the continuum, from customer-hostile to customer-centric."""

    HOSTILE = 1
    AWARE = 2
    FRIENDLY = 3
    FOCUSED = 4
    CENTRIC = 5

    @property
    def key(self) -> str:
        return self.name.lower()

    @classmethod
    def from_key(cls, key: str) -> Level:
        """Return the level named ``key`` ("hostile" … "centric"); raise ValueError otherwise."""
        try:
            return cls[key.upper()]
        except KeyError:
            raise ValueError(f"unknown level {key!r}") from None


#: Levels whose statements describe a shortcoming: agreeing with one holds the placement down.
DEFICIT_LEVELS = frozenset({Level.HOSTILE, Level.AWARE})
#: Levels whose statements describe a practice: agreeing with them lifts the placement.
PRACTICE_LEVELS = (Level.FRIENDLY, Level.FOCUSED, Level.CENTRIC)


class Factor(StrEnum):
    """Name the three factors every level is judged on."""

    CUSTOMER_FOCUS = "customer_focus"
    MEASUREMENT = "measurement"
    ENVIRONMENT = "environment"


Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class Statement(BaseModel):
    """One statement; agreeing with it describes the practice of ``level`` on ``factor``.

    Its reason for being in the instrument is written in docs/continuum.md (a test checks
    that every statement is documented there).

    ``step`` is the concrete practice to adopt (or, for a hostile or aware statement, the
    habit to drop); ``feature`` names the Heedback page that helps (``features.py``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    factor: Factor
    level: Level
    text: Text
    weight: float = Field(default=1.0, gt=0.0, le=10.0)
    step: LongText = ""
    feature: str | None = None
    is_custom: bool = False

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not STATEMENT_ID_PATTERN.fullmatch(value):
            raise ValueError("must be 3-63 lowercase letters, digits and underscores")
        return value

    @field_validator("level", mode="before")
    @classmethod
    def _read_level(cls, value: object) -> object:
        return Level.from_key(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_prefix(self) -> Self:
        if self.id.startswith(CUSTOM_PREFIX) != self.is_custom:
            raise ValueError(f"ids starting with {CUSTOM_PREFIX!r} are for custom statements only")
        return self


class Scoring(BaseModel):
    """The numbers that turn answers into levels; see docs/continuum.md for their reasons.

    Agreement is read on a ``scale_min``..``scale_max`` scale and converted to a share
    from 0 (strongly disagree) to 1 (strongly agree). ``thresholds`` gives, per level, the
    weighted mean share at which that level's statements count as agreed with.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    scale_min: int = 1
    scale_max: int = 5
    thresholds: dict[Level, Share]
    minimum_answered_share: Share = 0.5
    factor_weights: dict[Factor, Annotated[float, Field(gt=0.0)]]

    @field_validator("thresholds", mode="before")
    @classmethod
    def _read_threshold_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {Level.from_key(k) if isinstance(k, str) else k: v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check_complete(self) -> Self:
        if self.scale_max - self.scale_min < 2:
            raise ValueError("the agreement scale needs at least three points")
        if set(self.thresholds) != set(Level):
            raise ValueError("give a threshold for every level")
        if set(self.factor_weights) != set(Factor):
            raise ValueError("give a weight for every factor")
        return self

    def share(self, agreement: float) -> float:
        """Return ``agreement`` on the scale as a share from 0 to 1."""
        return (agreement - self.scale_min) / (self.scale_max - self.scale_min)


class Instrument(BaseModel):
    """A version of the questionnaire: its statements in the order they are asked, and scoring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    scoring: Scoring
    statements: tuple[Statement, ...]

    @model_validator(mode="after")
    def _check_statements(self) -> Self:
        seen: set[str] = set()
        for statement in self.statements:
            if statement.id in seen:
                raise ValueError(f"statement id {statement.id!r} is used twice")
            seen.add(statement.id)
        built_in = [statement for statement in self.statements if not statement.is_custom]
        for factor in Factor:
            for level in Level:
                if not any(s.factor == factor and s.level == level for s in built_in):
                    raise ValueError(f"{factor} needs a statement at level {level.key}")
        return self

    @cached_property
    def _index(self) -> dict[str, Statement]:
        return {statement.id: statement for statement in self.statements}

    def statement(self, statement_id: str) -> Statement | None:
        """Return the statement with ``statement_id``, or None."""
        return self._index.get(statement_id)

    def of_factor(self, factor: Factor) -> tuple[Statement, ...]:
        """Return the statements of ``factor`` in the order they are asked."""
        return tuple(statement for statement in self.statements if statement.factor == factor)

    def with_statements(self, extra: Iterable[Statement]) -> Instrument:
        """Return this version with an organisation's own statements added at the end."""
        return Instrument(
            version=self.version,
            scoring=self.scoring,
            statements=(*self.statements, *extra),
        )


def current_instrument() -> Instrument:
    """Return the newest instrument version, the one new assessments answer."""
    from heedback.continuum.instrument_v1 import INSTRUMENT_V1

    return INSTRUMENT_V1


def instrument_version(version: int) -> Instrument:
    """Return instrument ``version``; raise KeyError for a version that does not exist."""
    from heedback.continuum.instrument_v1 import INSTRUMENT_V1

    versions = {INSTRUMENT_V1.version: INSTRUMENT_V1}
    return versions[version]
