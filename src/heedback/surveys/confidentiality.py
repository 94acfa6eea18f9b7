"""Employee answers are confidential: the one rule every surface that shows responses follows.

Staff answer an employee pulse on the promise that nobody — their manager least of all —
reads what one person said. So for a confidential survey (every employee survey):

- no page, API operation or export lists individual responses or attributes a comment
  to a unit, a time or other answers (``refuse_individual_responses``);
- no figure is shown for a cell (a unit, a channel, a month, a question) with fewer than
  ``MINIMUM_RESPONDENTS`` answers (``is_withheld``).

It lives here, at the bottom of the app stack, because the surveys app knows which surveys
are confidential and every app that shows responses (collect, insights, text, continuum)
may import it.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from heedback.core.errors import Forbidden
from heedback.surveys.choices import SurveyKind

#: No cell of employee answers with fewer respondents is ever shown (pages, API, exports).
MINIMUM_RESPONDENTS = 5

CONFIDENTIAL_KINDS = frozenset({SurveyKind.EMPLOYEE})


def is_confidential(survey) -> bool:
    """Return whether a survey's individual responses must never be shown."""
    return survey.kind in CONFIDENTIAL_KINDS


def is_withheld(survey, respondents: int) -> bool:
    """Return whether a figure of ``respondents`` answers of ``survey`` must be withheld."""
    return is_confidential(survey) and respondents < MINIMUM_RESPONDENTS


def refuse_individual_responses(survey) -> None:
    """Raise Forbidden when ``survey``'s responses may be read in aggregate only."""
    if is_confidential(survey):
        raise Forbidden(
            _(
                "Responses to employee surveys are confidential: they are shown only as "
                "figures of %(minimum)d or more respondents."
            )
            % {"minimum": MINIMUM_RESPONDENTS}
        )


def attributable(survey_field: str = "survey") -> Q:
    """Return a filter keeping the rows whose survey may be shown one response at a time."""
    return ~Q(**{f"{survey_field}__kind__in": sorted(CONFIDENTIAL_KINDS)})
