"""Theme discovery and assignment, pure: vectors, spherical k-means, characteristic words.

Themes are found among sentences, not whole comments, because one comment speaks of
several things ("lovely staff, but the parking was a nightmare"); a comment's themes are
those of its sentences. Vectors are sentence embeddings when the extra is installed, else
TF-IDF over the organisation's own vocabulary; both are unit length, so similarity is a
dot product and k-means works on cosines.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from heedback.text.language import STOPWORDS, words_of

TOKEN = re.compile(r"[a-z][a-z'-]{2,}")
# Words that occur in every kind of comment and name no theme.
GENERIC = words_of(
    "also very really quite just even still much more most some any only well good great "
    "nice bad poor better best worst lot lots bit little time times one two get got would "
    "could should can will did does don't didn't wasn't isn't it's i'm i've we're they're "
    "there's than then them these those other another such every always never again "
    "overall experience thing things way made make like"
)
MAX_TERMS = 2000
MIN_DOCUMENT_FREQUENCY = 3
MAX_DOCUMENT_SHARE = 0.5
LABEL_WORDS = 4
# Share of discovery sentences that a theme's threshold lets in (the rest is too far off).
THRESHOLD_QUANTILE = 0.25


def tokens(text: str) -> list[str]:
    """Return the content words of ``text``: lower case, no stopwords, at least 3 letters."""
    stop = STOPWORDS["en"] | GENERIC
    return [word for word in TOKEN.findall(text.lower()) if word not in stop]


@dataclass(frozen=True)
class TfidfSpace:
    """A vocabulary with inverse document frequencies, learned from an organisation's texts."""

    vocabulary: tuple[str, ...]
    idf: tuple[float, ...]

    @classmethod
    def learn(cls, documents: list[list[str]]) -> TfidfSpace:
        """Keep terms in at least 3 documents and at most half of them, the most frequent."""
        frequency = Counter(term for document in documents for term in set(document))
        most = max(MIN_DOCUMENT_FREQUENCY, int(MAX_DOCUMENT_SHARE * len(documents)))
        kept = [
            (term, count)
            for term, count in frequency.items()
            if MIN_DOCUMENT_FREQUENCY <= count <= most
        ]
        kept.sort(key=lambda pair: (-pair[1], pair[0]))
        kept = kept[:MAX_TERMS]
        total = len(documents)
        return cls(
            tuple(term for term, _count in kept),
            tuple(math.log((1 + total) / (1 + count)) + 1 for _term, count in kept),
        )

    def vectors(self, documents: list[list[str]]) -> np.ndarray:
        """Return unit-length TF-IDF rows (a row of zeros for a text with no known term)."""
        index = {term: position for position, term in enumerate(self.vocabulary)}
        idf = np.asarray(self.idf, dtype=np.float32)
        matrix = np.zeros((len(documents), len(self.vocabulary)), dtype=np.float32)
        for row, document in enumerate(documents):
            for term, count in Counter(document).items():
                position = index.get(term)
                if position is not None:
                    matrix[row, position] = count * idf[position]
        return normalise(matrix)


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Scale each row to unit length, leaving rows of zeros as they are."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def theme_count(sentence_count: int) -> int:
    """Return how many clusters to look for: grows with the square root of the sample."""
    return max(2, min(15, round(math.sqrt(sentence_count / 20))))


def spherical_kmeans(
    vectors: np.ndarray, k: int, *, seed: int = 6, iterations: int = 25, restarts: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster unit vectors by cosine; return (label of each row, unit centroids).

    k-means++ seeding from fixed seeds, so the same texts give the same themes; of
    ``restarts`` runs the one whose rows sit closest to their centroids wins.
    """
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for attempt in range(restarts):
        labels, centres = _kmeans_once(vectors, k, seed + attempt, iterations)
        cohesion = float(np.sum(vectors * centres[labels]))
        if best is None or cohesion > best[0]:
            best = (cohesion, labels, centres)
    return best[1], best[2]


def _kmeans_once(
    vectors: np.ndarray, k: int, seed: int, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    generator = np.random.default_rng(seed)
    count = vectors.shape[0]
    centroids = [vectors[generator.integers(count)]]
    for _ in range(1, k):
        similarity = np.max(vectors @ np.asarray(centroids).T, axis=1)
        weights = np.clip(1.0 - similarity, 0.0, None) ** 2
        total = weights.sum()
        choice = (
            generator.integers(count) if total == 0 else generator.choice(count, p=weights / total)
        )
        centroids.append(vectors[choice])
    centres = np.asarray(centroids, dtype=np.float32)
    labels = np.zeros(count, dtype=np.int64)
    for _ in range(iterations):
        labels = np.argmax(vectors @ centres.T, axis=1)
        updated = np.zeros_like(centres)
        np.add.at(updated, labels, vectors)
        empty = np.linalg.norm(updated, axis=1) == 0
        updated[empty] = centres[empty]
        updated = normalise(updated)
        if np.allclose(updated, centres, atol=1e-5):
            break
        centres = updated
    return labels, centres


def characteristic_words(
    documents: list[list[str]], labels: np.ndarray, k: int, limit: int = LABEL_WORDS
) -> list[list[str]]:
    """Return each cluster's most characteristic words (class-based TF-IDF)."""
    per_cluster = [Counter() for _ in range(k)]
    for document, label in zip(documents, labels, strict=True):
        per_cluster[int(label)].update(document)
    overall = Counter()
    for counter in per_cluster:
        overall.update(counter)
    average = sum(overall.values()) / k if k else 1
    words = []
    for counter in per_cluster:
        size = sum(counter.values()) or 1
        scored = sorted(
            counter,
            key=lambda term: (
                -(counter[term] / size) * math.log(1 + average / overall[term]),
                term,
            ),
        )
        words.append([term for term in scored if counter[term] >= 2][:limit])
    return words


def similarity_threshold(vectors: np.ndarray, labels: np.ndarray, centres: np.ndarray) -> float:
    """Return the similarity below which a sentence is too far from every theme."""
    own = np.sum(vectors * centres[labels], axis=1)
    return float(np.quantile(own, THRESHOLD_QUANTILE)) if len(own) else 0.0


def nearest_themes(
    vectors: np.ndarray, centres: np.ndarray, threshold: float
) -> list[tuple[int, float] | None]:
    """Return, per sentence, (index of the nearest theme, similarity) or None when too far."""
    if len(centres) == 0 or len(vectors) == 0:
        return [None] * len(vectors)
    similarity = vectors @ centres.T
    best = np.argmax(similarity, axis=1)
    results: list[tuple[int, float] | None] = []
    for row, column in enumerate(best):
        value = float(similarity[row, column])
        results.append((int(column), value) if value >= threshold and value > 0 else None)
    return results


def keyword_pattern(keywords: list[str]) -> re.Pattern[str] | None:
    """Return one pattern matching any keyword as whole words, or None without keywords."""
    if not keywords:
        return None
    alternatives = "|".join(
        re.escape(keyword) for keyword in sorted(keywords, key=len, reverse=True)
    )
    return re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
