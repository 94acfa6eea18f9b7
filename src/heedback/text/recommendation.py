"""Explicit recommendation statements: "I would recommend it", "avoid them", "never again".

A customer who says outright whether others should come has said the thing a feedback
programme asks most, and says it in a few fixed ways that a lexicon misreads: VADER scores
"Never again." 0.0 and "I would not hesitate to recommend them." below zero (its "not").
The sentence then counts as plainly positive or negative (score ±1) in the baseline, and
the review head reads the two flags as features. The phrases were written from how people
say it, before they were measured on the Skytrax reviews (docs/text-quality.md).
"""

from __future__ import annotations

import re

RECOMMENDS, ADVISES_AGAINST, NO_STATEMENT = 1, -1, 0

_NEGATION = r"(?:not|never|n't|no longer|hardly)"
_USE = r"(?:fly|use|book|travel|stay|choose|return|come\s+back|go\s+back|visit)"


def _rule(words: str, pattern: str) -> tuple[tuple[str, ...], re.Pattern[str]]:
    """Return a pattern with the words one of which any match holds (a cheap first test)."""
    return tuple(words.split(",")), re.compile(pattern, re.IGNORECASE)


# Negated on purpose: "would not hesitate to recommend", "cannot recommend it enough".
_POSITIVE_DESPITE_NEGATION = (
    _rule(
        "hesitat",
        r"\b(?:not|never|n't|wouldn't|won't)\s+(?:\w+\s+)?hesitat\w*\s+(?:\w+\s+){0,2}"
        r"(?:to\s+)?(?:recommend|fly|use|book|return|choose)",
    ),
    _rule("enough", r"\brecommend\w*\s+(?:\w+\s+){0,4}(?:highly\s+)?enough\b"),
)
_ADVISES_AGAINST = (
    _rule(
        "recommend",
        rf"\b{_NEGATION}\s+(?:\w+\s+){{0,2}}recommend"
        r"|n't\s+(?:\w+\s+){0,2}recommend"
        r"|\bcan(?:not|'t)\s+(?:\w+\s+){0,2}recommend"
        r"|\bnot\s+(?:be\s+)?recommended\b"
        r"|\bnothing\s+to\s+recommend\b",
    ),
    _rule("never,doubt", r"\b(?:never|doubt)\b[^.!?]{0,40}\bagain\b"),
    _rule(
        "avoid",
        r"\b(?:avoid|avoiding)\b(?!\s+(?:the\s+)?(?:queue|queues|crowd|crowds|rush|wait|delay))",
    ),
    _rule("away,worth,waste", r"\bstay\s+away\b|\bnot\s+worth\b|\bwaste\s+of\s+(?:money|time)\b"),
    _rule(
        "will,would,shall,won't,shan't",
        rf"\b(?:(?:will|would|shall)\s*{_NEGATION}|won't|shan't)\s+(?:\w+\s+){{0,2}}{_USE}\b",
    ),
)
# A recommendation of something ("I would recommend them", "highly recommended"), not
# advice on what to do ("I recommend you book early", "I recommend the airline improve").
_RECOMMENDS = (
    _rule(
        "recommend",
        r"\b(?:would|will|can|could|do|highly|definitely|strongly|thoroughly|fully|certainly|"
        r"absolutely|really|gladly|happily)\s+recommend(?:ed)?\s+(?:it|this|them|these|the|"
        r"(?-i:[A-Z]))(?!\w*\s+(?:to\s+)?(?:take|improve|fly|book|spend|get|seat))"
        r"|\b(?:highly|strongly|thoroughly|definitely|warmly)\s+recommended\b",
    ),
    _rule(
        "again",
        rf"\b(?:would|will|shall)\s+(?:definitely\s+|certainly\s+|happily\s+|gladly\s+)?{_USE}"
        r"\s+(?:with\s+)?(?:them|it|this|[A-Z]\w*)\s+(?:\w+\s+){0,2}again\b",
    ),
)


def _says(rules: tuple, sentence: str, lowered: str) -> bool:
    return any(
        any(word in lowered for word in words) and pattern.search(sentence)
        for words, pattern in rules
    )


def recommendation_of(sentence: str) -> int:
    """Return RECOMMENDS, ADVISES_AGAINST or NO_STATEMENT for one sentence.

    A negation turned positive ("would not hesitate to recommend") is read first, then
    advice against, then a recommendation: "not recommended" holds "recommended".
    """
    lowered = sentence.lower()
    if _says(_POSITIVE_DESPITE_NEGATION, sentence, lowered):
        return RECOMMENDS
    if _says(_ADVISES_AGAINST, sentence, lowered):
        return ADVISES_AGAINST
    if _says(_RECOMMENDS, sentence, lowered):
        return RECOMMENDS
    return NO_STATEMENT
