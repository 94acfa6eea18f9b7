"""Sentiment of a comment and of each of its sentences, with VADER (always installed).

A comment often praises the staff and damns the room, so every sentence is scored on its
own and the comment's score is the mean of its sentences. Measured on the Skytrax reviews
(docs/text-quality.md), the sentence mean ranks comments better than VADER's score of the
whole text, whose compound saturates on long texts, and costs less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from heedback.text.choices import SentimentLabel

# A sentence ends at . ! ? or a line break followed by space; "Mr. Smith" splits wrongly but
# harmlessly (two short sentences of the same tone).
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
POSITIVE_AT, NEGATIVE_AT = 0.05, -0.05  # VADER's documented thresholds for its compound score
STRONG = 0.5  # a sentence this far from zero counts as clearly positive or negative
# Languages the lexicon of VADER is written for; others are "not analysed", not mis-scored.
VADER_LANGUAGES = frozenset({"en"})


@dataclass(frozen=True)
class Sentence:
    """A sentence as offsets into the analysed text, with its score from -1 to 1."""

    start: int
    end: int
    score: float


@dataclass(frozen=True)
class SentimentResult:
    """A text's score (-1 to 1), its label and its scored sentences."""

    score: float
    label: str
    sentences: tuple[Sentence, ...]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return (start, end) offsets of the non-blank sentences of ``text``."""
    spans = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        if text[start : match.start()].strip():
            spans.append(_trimmed(text, start, match.start()))
        start = match.end()
    if text[start:].strip():
        spans.append(_trimmed(text, start, len(text)))
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@lru_cache(maxsize=1)
def vader() -> object:
    """Return the one VADER analyser of the process (loading its lexicon takes ~0.1 s)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def has_lexicon_word(text: str) -> bool:
    """Return whether ``text`` holds a word of VADER's English lexicon (for short comments)."""
    lexicon = vader().lexicon
    return any(word.lower() in lexicon for word in re.findall(r"[A-Za-z']+", text))


def label_of(score: float, sentence_scores: list[float]) -> str:
    """Return the label: mixed when clear praise and clear blame meet in a lukewarm whole."""
    has_praise = any(value >= STRONG for value in sentence_scores)
    has_blame = any(value <= -STRONG for value in sentence_scores)
    if has_praise and has_blame and abs(score) < STRONG:
        return SentimentLabel.MIXED
    if score >= POSITIVE_AT:
        return SentimentLabel.POSITIVE
    if score <= NEGATIVE_AT:
        return SentimentLabel.NEGATIVE
    return SentimentLabel.NEUTRAL


def combine(sentences: list[Sentence], score: float | None = None) -> SentimentResult:
    """Return the text's result from its scored sentences: ``score``, else their mean."""
    scores = [sentence.score for sentence in sentences]
    if score is None:
        score = sum(scores) / len(scores) if scores else 0.0
    return SentimentResult(round(score, 4), label_of(score, scores), tuple(sentences))


def vader_sentiment(text: str, spans: list[tuple[int, int]] | None = None) -> SentimentResult:
    """Score each sentence of ``text`` with VADER and combine them."""
    analyser = vader()
    spans = split_sentences(text) if spans is None else spans
    sentences = [
        Sentence(start, end, round(analyser.polarity_scores(text[start:end])["compound"], 4))
        for start, end in spans
    ]
    return combine(sentences)
