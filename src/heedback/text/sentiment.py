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
from heedback.text.recommendation import recommendation_of

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
    """Return the one VADER analyser of the process (loading its lexicon takes ~0.1 s).

    It is VADER's own analyser with three costs removed and nothing else changed: its
    scores are VADER's to the last digit (``tests/text/test_pure.py`` compares them on
    real reviews). VADER copies a text character by character to replace emoji, scores
    every word through a method call though only lexicon words carry a score, and lowers
    the whole sentence again at every check of a lexicon word's neighbours. Reading a
    comment sentence by sentence costs more VADER calls than scoring it whole, so these
    costs decide whether the always-on baseline keeps up (``docs/performance.md``).
    """
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return _fast_analyser(SentimentIntensityAnalyzer)()


def _fast_analyser(base: type) -> type:
    """Return a subclass of VADER's analyser that gives the same scores faster."""
    from vaderSentiment.vaderSentiment import BOOSTER_DICT, SentiText, normalize

    class FastSentimentIntensityAnalyzer(base):
        def polarity_scores(self, text: str) -> dict[str, float]:
            if not text.isascii():  # every emoji is outside ASCII: let VADER replace them
                return super().polarity_scores(text)
            return self.score_valence(*self._valences(text))

        def compound(self, text: str) -> float:
            """Return ``polarity_scores(text)["compound"]`` without the other three scores."""
            if not text.isascii():
                return super().polarity_scores(text)["compound"]
            sentiments, text = self._valences(text)
            total = float(sum(sentiments))
            if not total:
                return 0.0
            emphasis = self._punctuation_emphasis(text)
            return round(normalize(total + emphasis if total > 0 else total - emphasis), 4)

        def _valences(self, text: str) -> tuple[list[float], str]:
            sentitext = SentiText(text.strip())
            words = sentitext.words_and_emoticons
            lexicon = self.lexicon
            sentiments: list[float] = []
            for i, item in enumerate(words):
                lowered = item.lower()
                # Only a lexicon word gets a valence; boosters and "kind of" score 0 as in VADER.
                if lowered not in lexicon or lowered in BOOSTER_DICT:
                    sentiments.append(0)
                    continue
                if lowered == "kind" and i < len(words) - 1 and words[i + 1].lower() == "of":
                    sentiments.append(0)
                    continue
                sentiments = self.sentiment_valence(0, sentitext, item, i, sentiments)
            return self._but_check(words, sentiments), sentitext.text

        @staticmethod
        def _negation_check(valence: float, words: list, start_i: int, i: int) -> float:
            low = max(0, i - 3)  # VADER reads at most three words back
            return base._negation_check(valence, words[low : i + 1], start_i, i - low)

        @staticmethod
        def _special_idioms_check(valence: float, words: list, i: int) -> float:
            low = i - 3  # called for i > 2 only; reads three words back, two ahead
            return base._special_idioms_check(valence, words[low : i + 3], i - low)

    return FastSentimentIntensityAnalyzer


def compound(text: str) -> float:
    """Return VADER's compound score of ``text`` (-1 to 1)."""
    return vader().compound(text)


def sentence_score(sentence: str) -> float:
    """Return a sentence's baseline score: ±1 for an explicit (non-)recommendation, else VADER.

    "Never again." and "I would not hesitate to recommend them." say the most a sentence
    can say, and VADER reads them as neutral and negative (``text.recommendation``).
    """
    statement = recommendation_of(sentence)
    return float(statement) if statement else vader().compound(sentence)


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
    spans = split_sentences(text) if spans is None else spans
    sentences = [Sentence(start, end, sentence_score(text[start:end])) for start, end in spans]
    return combine(sentences)
