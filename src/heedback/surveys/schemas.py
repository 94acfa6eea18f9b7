from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field, model_validator


class TemplateOut(Schema):
    key: str
    name: str
    description: str
    kind: str
    definition: dict[str, Any]


class SurveyIn(Schema):
    """Create a survey from a built-in template or from a full definition (one of the two)."""

    name: str = Field(default="", max_length=200)
    template: str | None = None
    definition: dict[str, Any] | None = None

    @model_validator(mode="after")
    def one_source(self) -> SurveyIn:
        if (self.template is None) == (self.definition is None):
            raise ValueError("give either 'template' or 'definition'")
        if self.definition is not None and not self.name.strip():
            raise ValueError("a survey made from a definition needs a 'name'")
        return self


class DraftIn(Schema):
    definition: dict[str, Any]
    name: str | None = Field(default=None, max_length=200)


class SurveySummaryOut(Schema):
    id: int
    name: str
    kind: str
    status: str
    template: str
    version: int | None
    created_at: datetime
    updated_at: datetime


class SurveyOut(SurveySummaryOut):
    draft_version: int
    question_keys: list[str]
    definition: dict[str, Any]
    draft_definition: dict[str, Any]


class PublishOut(Schema):
    id: int
    status: str
    version: int
    published_at: datetime
