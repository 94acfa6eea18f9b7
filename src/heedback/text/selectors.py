"""Reads of the text app: what the machine read in responses, themes with their figures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from heedback.orgs.models import Organisation
from heedback.text.choices import AnalysisStatus, ThemeStatus, UrgencyReason
from heedback.text.models import TextAnalysis, Theme, ThemeAssignment
from heedback.text.sentiment import label_of

REASON_ORDER = {reason.value: position for position, reason in enumerate(UrgencyReason)}


def text_analyses(response_ids: Iterable[int]) -> dict[int, dict]:
    """Return the API's ``text_analysis`` of each enriched response, keyed by response id.

    A response missing from the result has no text or is not enriched yet: its
    ``text_analysis`` is null. Two queries whatever the number of responses.
    """
    ids = list(response_ids)
    analyses = defaultdict(list)
    for analysis in TextAnalysis.objects.filter(response_id__in=ids).order_by(
        "response_id", "question_key"
    ):
        analyses[analysis.response_id].append(analysis)
    themes = defaultdict(dict)
    assignments = (
        ThemeAssignment.objects.filter(response_id__in=ids, theme__status=ThemeStatus.ACTIVE)
        .order_by("-score", "theme__name")
        .values_list("response_id", "theme_id", "theme__name")
    )
    for response_id, theme_id, name in assignments:
        themes[response_id].setdefault(theme_id, {"id": theme_id, "name": name})
    return {
        response_id: _combined(texts, list(themes[response_id].values()))
        for response_id, texts in analyses.items()
    }


def _combined(texts: list[TextAnalysis], themes: list[dict]) -> dict:
    """Combine a response's texts: the mean of all their sentences, any urgency of any text."""
    analysed = [text for text in texts if text.status == AnalysisStatus.ANALYSED]
    scores = [score for text in analysed for _start, _end, score in text.sentences]
    sentiment = None
    if scores:
        score = sum(scores) / len(scores)
        sentiment = {"score": round(score, 4), "label": label_of(score, scores)}
    reasons = sorted(
        {reason for text in texts for reason in text.urgency_reasons}, key=REASON_ORDER.get
    )
    main = max(texts, key=lambda text: (len(text.body), not text.question_key))
    return {
        "language": main.language,
        "status": AnalysisStatus.ANALYSED if analysed else AnalysisStatus.NOT_ANALYSED,
        "sentiment": sentiment,
        "themes": themes,
        "urgent": any(text.is_urgent for text in texts),
        "urgency_reasons": reasons,
        "texts": [_text_as_dict(text) for text in texts],
    }


def _text_as_dict(text: TextAnalysis) -> dict:
    return {
        "question_key": text.question_key,
        "language": text.language,
        "status": text.status,
        "sentiment": {"score": text.sentiment_score, "label": text.sentiment_label}
        if text.sentiment_score is not None
        else None,
        "sentences": [
            {"start": start, "end": end, "score": score} for start, end, score in text.sentences
        ],
        "urgency_reasons": text.urgency_reasons,
        "urgency_evidence": [
            {"reason": reason, "start": start, "end": end}
            for reason, start, end in text.urgency_evidence
        ],
        "model": text.model,
    }


def themes_overview(
    organisation: Organisation,
    *,
    status: str = ThemeStatus.ACTIVE,
    days: int = 30,
    responses: QuerySet | None = None,
) -> list[dict]:
    """Return the organisation's themes with volume, mean sentiment and trend, largest first.

    ``recent`` and ``previous`` count responses in the last ``days`` and the ``days`` before,
    so a theme that grows shows it; all figures are counted inside the database.
    ``responses`` limits the counts to those responses (a manager's unit subtree).
    """
    now = timezone.now()
    recent_from, previous_from = now - timedelta(days=days), now - timedelta(days=2 * days)
    assignments = ThemeAssignment.objects.filter(organisation=organisation)
    if responses is not None:
        assignments = assignments.filter(response__in=responses.values("pk"))
    figures = {
        row["theme_id"]: row
        for row in assignments.values("theme_id").annotate(
            volume=Count("response", distinct=True),
            sentiment=Avg("analysis__sentiment_score"),
            negative=Count("response", distinct=True, filter=Q(analysis__sentiment_score__lt=0)),
            recent=Count(
                "response", distinct=True, filter=Q(analysis__submitted_at__gte=recent_from)
            ),
            previous=Count(
                "response",
                distinct=True,
                filter=Q(
                    analysis__submitted_at__gte=previous_from,
                    analysis__submitted_at__lt=recent_from,
                ),
            ),
        )
    }
    themes = Theme.objects.for_org(organisation).select_related("domain")
    if status:
        themes = themes.filter(status=status)
    rows = [_theme_as_dict(theme, figures.get(theme.pk, {})) for theme in themes]
    rows.sort(key=lambda row: (-row["volume"], row["name"]))
    return rows


def _theme_as_dict(theme: Theme, figures: dict) -> dict:
    sentiment = figures.get("sentiment")
    return {
        "id": theme.pk,
        "name": theme.name,
        "label_words": theme.label_words,
        "keywords": theme.keywords,
        "domain": theme.domain.key if theme.domain else None,
        "status": theme.status,
        "origin": theme.origin,
        "merged_into": theme.merged_into_id,
        "volume": figures.get("volume", 0),
        "sentiment": round(sentiment, 4) if sentiment is not None else None,
        "negative": figures.get("negative", 0),
        "recent": figures.get("recent", 0),
        "previous": figures.get("previous", 0),
    }


def responses_mentioning(theme: Theme) -> QuerySet:
    """Return the ids of responses carrying ``theme``: a filter for the metric engine.

    ``Response.objects.filter(pk__in=responses_mentioning(theme))`` gives "the NPS of
    customers who mention parking" with every other filter unchanged.
    """
    return ThemeAssignment.objects.filter(theme=theme).values("response_id")


def urgent_texts(organisation: Organisation) -> QuerySet[TextAnalysis]:
    """Return the organisation's urgent texts, newest first (for the closed loop's rules)."""
    return TextAnalysis.objects.for_org(organisation).filter(is_urgent=True).order_by("-pk")
