"""Reads of the collect app."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from heedback.collect.models import Answer, Response, SurveyLink
from heedback.collect.services import answer_value


def link_by_token(token: str) -> SurveyLink | None:
    """Return the link for a public token with its survey, version, unit and organisation."""
    return (
        SurveyLink.objects.select_related(
            "survey", "survey__published_version", "unit", "organisation"
        )
        .filter(token=token)
        .first()
    )


def responses_with_answers(responses: QuerySet[Response]) -> QuerySet[Response]:
    return responses.select_related("version", "staff").prefetch_related("answers")


def response_as_dict(response: Response, answers: Iterable[Answer] | None = None) -> dict:
    """Return a response as the API speaks it: answers keyed by question, typed back.

    ``answers`` are the response's rows when the caller holds them already (it has just
    stored them), which spares reading them back.
    """
    questions = {question.key: question for question in response.version.parsed().questions}
    rows = response.answers.all() if answers is None else answers
    answers_by_key = {}
    for answer in rows:
        question = questions.get(answer.question_key)
        answers_by_key[answer.question_key] = (
            answer_value(question, answer) if question else answer.value
        )
    return {
        "id": response.pk,
        "survey": response.survey_id,
        "version": response.version.number,
        "unit": response.unit_id,
        "channel": response.channel,
        "idempotency_key": response.idempotency_key,
        "submitted_at": response.submitted_at,
        "received_at": response.received_at,
        "language": response.language,
        "comment": response.comment,
        "staff": response.staff.email if response.staff_id else None,
        "external_id": response.external_id,
        "answers": answers_by_key,
    }
