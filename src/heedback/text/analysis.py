"""Read one text: language, sentiment per sentence and overall, urgency. Pure, no database.

The enrichment job calls ``analyse_texts`` on a batch; a batch lets the optional embedding
model encode all sentences at once, which is where its speed comes from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from heedback.text import embeddings
from heedback.text.choices import AnalysisStatus
from heedback.text.language import UNDETERMINED, detect_language
from heedback.text.recommendation import recommendation_of
from heedback.text.sentiment import (
    VADER_LANGUAGES,
    Sentence,
    SentimentResult,
    combine,
    has_lexicon_word,
    sentence_score,
    split_sentences,
)
from heedback.text.urgency import URGENCY_LANGUAGES, UrgencyFlag, urgency_flags

VADER = "vader"
VADER_MINILM = "vader+minilm"  # VADER mixed with the distance to anchor sentences
MINILM_HEAD = "minilm-head"  # the trained head on the embeddings (with VADER if it chose so)
MINILM_REVIEWS = "minilm-reviews"  # a head trained on whole reviews (embeddings and VADER)
MODELS = (VADER, VADER_MINILM, MINILM_HEAD, MINILM_REVIEWS)
EMBEDDING_MODELS = frozenset({VADER_MINILM, MINILM_HEAD, MINILM_REVIEWS})
# An anchor score of ±0.25 (far nearer the good sentences than the bad) counts as ±1.
ANCHOR_SCALE = 4.0


def wanted_model() -> str:
    """Return the model ``HEEDBACK_SENTIMENT_MODEL`` asks for (VADER when unset)."""
    return os.environ.get("HEEDBACK_SENTIMENT_MODEL", "").strip().lower() or VADER


def sentiment_model() -> str:
    """Return the sentiment model in use: a stronger one only when asked for and installed.

    An unknown name or a missing extra falls back to VADER, which is always installed;
    ``heedback check`` reports either (``text.checks``), so the fallback is never silent.
    """
    wanted = wanted_model()
    if wanted in EMBEDDING_MODELS and embeddings.available():
        return wanted
    return VADER


@dataclass(frozen=True)
class TextReading:
    """What was read in one text."""

    language: str
    status: str
    sentiment: SentimentResult | None
    flags: tuple[UrgencyFlag, ...]
    model: str


def language_of(text: str, hint: str = "") -> str:
    """Return the text's language; a short text with English sentiment words counts as English."""
    language = detect_language(text, hint=hint)
    if language == UNDETERMINED and has_lexicon_word(text):
        return "en"
    return language


def analyse_texts(texts: list[tuple[str, str]], model: str | None = None) -> list[TextReading]:
    """Read each (text, language hint); texts in a language no model reads are not analysed."""
    model = model or sentiment_model()
    languages = [language_of(text, hint) for text, hint in texts]
    spans = [split_sentences(text) for text, _hint in texts]
    scores, overall = _scores(
        [
            [text[start:end] for start, end in sentence_spans]
            if language in VADER_LANGUAGES
            else []
            for (text, _hint), language, sentence_spans in zip(texts, languages, spans, strict=True)
        ],
        model,
    )
    readings = []
    for (text, _hint), language, sentence_spans, sentence_scores, score in zip(
        texts, languages, spans, scores, overall, strict=True
    ):
        if language not in VADER_LANGUAGES:
            readings.append(TextReading(language, AnalysisStatus.NOT_ANALYSED, None, (), model))
            continue
        sentences = [
            Sentence(start, end, value)
            for (start, end), value in zip(sentence_spans, sentence_scores, strict=True)
        ]
        flags = tuple(urgency_flags(text)) if language in URGENCY_LANGUAGES else ()
        readings.append(
            TextReading(language, AnalysisStatus.ANALYSED, combine(sentences, score), flags, model)
        )
    return readings


def _scores(batches: list[list[str]], model: str) -> tuple[list[list[float]], list]:
    """Return each text's sentence scores and its own score (None: the sentences' mean)."""
    scores = [[sentence_score(sentence) for sentence in batch] for batch in batches]
    overall = [None] * len(batches)
    if model not in EMBEDDING_MODELS:
        return scores, overall
    vectors = embeddings.encode([sentence for batch in batches for sentence in batch])
    if model == MINILM_REVIEWS:
        return _review_head_scores(vectors, scores, batches)
    if model == VADER_MINILM:
        other, weight = np.clip(ANCHOR_SCALE * embeddings.anchor_scores(vectors), -1, 1), 0.5
    else:
        other = embeddings.head_scores(vectors)
        weight = 0.5 if embeddings.head()["combination"] == "mean with vader" else 1.0
    others = iter(other.tolist())
    sentence_scores = [
        [round((1 - weight) * value + weight * next(others), 4) for value in row] for row in scores
    ]
    return sentence_scores, overall


def _review_head_scores(
    vectors: np.ndarray, baseline_scores: list[list[float]], batches: list[list[str]]
) -> tuple[list[list[float]], list]:
    """Score every text and every sentence with the review head (a sentence is a short text)."""
    features, shape, offset = [], [], 0
    for row, sentences in zip(baseline_scores, batches, strict=True):
        own_vectors = vectors[offset : offset + len(row)]
        own_scores = np.asarray(row, dtype=np.float32)
        own_statements = np.asarray([recommendation_of(s) for s in sentences], dtype=np.float32)
        if row:
            features.append(embeddings.text_features(own_vectors, own_scores, own_statements))
            features.extend(
                embeddings.text_features(
                    own_vectors[i : i + 1], own_scores[i : i + 1], own_statements[i : i + 1]
                )
                for i in range(len(row))
            )
        shape.append(len(row))
        offset += len(row)
    values = iter(embeddings.review_head_scores(np.asarray(features)).tolist() if features else [])
    sentence_scores, overall = [], []
    for count in shape:
        overall.append(round(next(values), 4) if count else None)
        sentence_scores.append([round(next(values), 4) for _ in range(count)])
    return sentence_scores, overall
