from __future__ import annotations

from datetime import date, datetime

from ninja import Schema
from pydantic import Field


class SentimentOut(Schema):
    score: float
    label: str


class ThemeRef(Schema):
    id: int
    name: str


class SentenceOut(Schema):
    start: int
    end: int
    score: float


class UrgencyEvidenceOut(Schema):
    reason: str
    start: int
    end: int


class TextOut(Schema):
    question_key: str
    language: str
    status: str
    sentiment: SentimentOut | None
    sentences: list[SentenceOut]
    urgency_reasons: list[str]
    urgency_evidence: list[UrgencyEvidenceOut]
    model: str


class TextAnalysisOut(Schema):
    """What the machine read in a response's texts (its comment and text answers)."""

    language: str
    status: str
    sentiment: SentimentOut | None
    themes: list[ThemeRef]
    urgent: bool
    urgency_reasons: list[str]
    texts: list[TextOut]


class ThemeOut(Schema):
    id: int
    name: str
    label_words: list[str]
    keywords: list[str]
    domain: str | None
    status: str
    origin: str
    merged_into: int | None
    volume: int
    sentiment: float | None
    negative: int
    recent: int
    previous: int


class ThemeFilters(Schema):
    status: str = "active"
    days: int = Field(default=30, ge=1, le=366)


class SearchFilters(Schema):
    q: str = Field(default="", max_length=200)
    survey: int | None = None
    unit: int | None = None
    channel: str | None = None
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=10_000)


class SearchHitOut(Schema):
    response: int
    question_key: str
    submitted_at: datetime
    sentiment_label: str
    snippet_html: str


class SearchPageOut(Schema):
    count: int
    count_capped: bool
    results: list[SearchHitOut]
