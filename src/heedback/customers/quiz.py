"""The four-question temperament quiz a customer may take after answering a survey.

Each answer speaks for one of the four True Colors temperaments; the temperament chosen
most often wins. A tie goes to the answer of the last question ("which describes you
best"), when it is among the tied, else to the first tied colour in Blue, Gold, Green,
Orange order, so the same answers always give the same temperament.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from heedback.customers.choices import Temperament


@dataclass(frozen=True)
class QuizQuestion:
    key: str
    text: str | Promise
    options: dict[str, str | Promise]  # temperament → what the customer reads


QUESTIONS = (
    QuizQuestion(
        "matters",
        _("When we serve you, what matters most?"),
        {
            Temperament.BLUE: _("That the person is warm and cares about me"),
            Temperament.GOLD: _("That things are done properly, as promised"),
            Temperament.GREEN: _("That the person really knows what they are talking about"),
            Temperament.ORANGE: _("That it is quick, so I can get on with my day"),
        },
    ),
    QuizQuestion(
        "wrong",
        _("When something goes wrong, you would like us to…"),
        {
            Temperament.BLUE: _("Listen, and understand how it affected me"),
            Temperament.GOLD: _("Follow a clear procedure and keep me informed"),
            Temperament.GREEN: _("Explain exactly what happened and why"),
            Temperament.ORANGE: _("Fix it now, without fuss"),
        },
    ),
    QuizQuestion(
        "hear",
        _("How do you prefer to hear from us?"),
        {
            Temperament.BLUE: _("A personal note or a call"),
            Temperament.GOLD: _("A clear, well-organised email"),
            Temperament.GREEN: _("The facts and figures, briefly"),
            Temperament.ORANGE: _("A quick message, straight to the point"),
        },
    ),
    QuizQuestion(
        "describes",
        _("Which describes you best?"),
        {
            Temperament.BLUE: _("Caring and sincere"),
            Temperament.GOLD: _("Responsible and organised"),
            Temperament.GREEN: _("Curious and logical"),
            Temperament.ORANGE: _("Spontaneous and energetic"),
        },
    ),
)


def problems(answers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Return (question key, message) for each question not answered with one of its options."""
    return [
        (question.key, str(_("Choose one answer.")))
        for question in QUESTIONS
        if answers.get(question.key) not in question.options
    ]


def temperament_of(answers: Mapping[str, str]) -> str:
    """Return the temperament the answers point to (all four questions answered)."""
    chosen = [answers[question.key] for question in QUESTIONS]
    counts = Counter(chosen)
    best = max(counts.values())
    tied = [colour for colour in Temperament.values if counts[colour] == best]
    last = chosen[-1]
    return last if last in tied else tied[0]
