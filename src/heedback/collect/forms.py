"""Reading and showing a survey's questions as an HTML form, for every page that asks them.

The respondent's page, the kiosk and the staff's paper-card entry all render the same
fields (templates/collect/question.html) and read them back the same way.
"""

from __future__ import annotations

from django.http import QueryDict

from heedback.surveys.definition import QuestionType, SurveyDefinition


def read_answers(data: QueryDict, definition: SurveyDefinition) -> dict[str, object]:
    """Read the form's answers: one value per question, a list for multiple choice."""
    answers: dict[str, object] = {}
    for question in definition.questions:
        name = f"q_{question.key}"
        if question.type == QuestionType.MULTI_CHOICE:
            values = [value for value in data.getlist(name) if value]
            if values:
                answers[question.key] = values
        else:
            value = data.get(name, "")
            if value.strip():
                answers[question.key] = value
    return answers


def question_fields(definition: SurveyDefinition, values: dict, errors: dict) -> list[dict]:
    """Pair each question with what the template needs: its value, errors, scale points."""
    views = []
    for number, question in enumerate(definition.questions, start=1):
        scale = question.effective_scale()
        value = values.get(question.key)
        views.append(
            {
                "number": number,
                "q": question,
                "name": f"q_{question.key}",
                "value": value,
                "selected": value
                if isinstance(value, list)
                else [value]
                if value is not None
                else [],
                "errors": errors.get(question.key, []),
                "points": [str(point) for point in range(scale.min, scale.max + 1)]
                if scale
                else [],
                "scale": scale,
            }
        )
    return views


def display_conditions(definition: SurveyDefinition) -> dict[str, dict]:
    """Return each conditional question's condition, for respond.js to show or hide it."""
    return {
        question.key: question.show_if.model_dump(mode="json", by_alias=True)
        for question in definition.questions
        if question.show_if is not None
    }
