"""Say at start-up when HEEDBACK_SENTIMENT_MODEL asks for what this install cannot give.

Enrichment falls back to VADER rather than stopping the worker, so the check is where a
typing error or a missing extra is named (``heedback check``, and every management command).
"""

from __future__ import annotations

from django.core import checks


@checks.register()
def check_sentiment_model(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from heedback.text import embeddings
    from heedback.text.analysis import EMBEDDING_MODELS, MODELS, wanted_model

    wanted = wanted_model()
    if wanted not in MODELS:
        return [
            checks.Error(
                f"HEEDBACK_SENTIMENT_MODEL is {wanted!r}; it must be one of {', '.join(MODELS)}.",
                id="text.E001",
            )
        ]
    if wanted in EMBEDDING_MODELS and not embeddings.available():
        return [
            checks.Warning(
                f"HEEDBACK_SENTIMENT_MODEL is {wanted!r} but the embeddings extra is not "
                "installed or HEEDBACK_TEXT_EMBEDDINGS is off: comments are read with vader.",
                hint="pip install torch==2.13.0 'heedback[embeddings]'",
                id="text.W001",
            )
        ]
    return []
