"""The loop's evidence for the continuum: follow-up, speed to the front line and to a fix.

Declared on the loop's AppConfig (``continuum_indicators``), these replace the continuum's
placeholders with the same keys. Every value comes from ``loop.metrics.counts_by`` — the
figures of the loop dashboard, one implementation — counted per unit for the last 90 days
in four queries shared by the four indicators (``EvidenceRequest.memo``) and
summed per scope, so asking for every unit costs what one scope costs.
"""

from __future__ import annotations

import math
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from heedback.continuum.evidence import (
    EvidenceRequest,
    Indicator,
    Measurement,
    Status,
    level_from_bands,
)
from heedback.continuum.instrument import Factor, Level
from heedback.loop.metrics import FIGURES_BY_KEY, LoopCounts, counts_by

WINDOW_DAYS = 90

# Higher is better: (lower bound of the share in %, level).
FOLLOWED_UP_BANDS = [
    (-math.inf, Level.HOSTILE),
    (1e-9, Level.AWARE),
    (50.0, Level.FRIENDLY),
    (90.0, Level.FOCUSED),  # "every detractor followed up"
    (98.0, Level.CENTRIC),
]
SOLVED_BANDS = [
    (-math.inf, Level.HOSTILE),
    (30.0, Level.AWARE),
    (50.0, Level.FRIENDLY),
    (70.0, Level.FOCUSED),
    (85.0, Level.CENTRIC),
]
# Lower is better: (at most this many hours, level), judged on minus the hours.
FRONT_LINE_HOURS = [
    (720, Level.AWARE),
    (336, Level.FRIENDLY),
    (72, Level.FOCUSED),
    (24, Level.CENTRIC),
]
CLOSURE_HOURS = [
    (720, Level.AWARE),
    (336, Level.FRIENDLY),
    (120, Level.FOCUSED),
    (48, Level.CENTRIC),
]


def _at_most(hours: list[tuple[int, Level]]) -> list[tuple[float, Level]]:
    return [(-math.inf, Level.HOSTILE), *((-float(limit), level) for limit, level in hours)]


@dataclass(frozen=True)
class _Spec:
    figure: str
    bands: list[tuple[float, Level]]
    is_lower_better: bool
    detail: Callable[[LoopCounts], str]
    no_data: object  # a lazy translation


def scope_counts(request: EvidenceRequest) -> list[LoopCounts]:
    """Return the loop's counts of the last 90 days for each scope (read once per request)."""
    cached = request.memo.get("loop.counts")
    if cached is None:
        organisation = request.organisation
        today = request.as_of.astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
        per_path = counts_by(
            organisation,
            today - timedelta(days=WINDOW_DAYS - 1),
            today,
            now=request.as_of,
            group="unit__path",
        )
        cached = [
            sum(
                (counts for path, counts in per_path.items() if scope.contains(path or "")),
                LoopCounts(),
            )
            for scope in request.scopes
        ]
        request.memo["loop.counts"] = cached
    return cached


def _measure(spec: _Spec, request: EvidenceRequest) -> list[Measurement]:
    figure = FIGURES_BY_KEY[spec.figure]
    minimum = request.organisation.minimum_sample
    results = []
    for counts in scope_counts(request):
        value, n = figure.value(counts), figure.sample(counts)
        if value is None:
            results.append(Measurement(Status.NO_DATA, detail=str(spec.no_data), n=0))
            continue
        display, detail = figure.display(counts), spec.detail(counts)
        if n < minimum:
            detail = _("Too few to judge (%(n)d of the %(minimum)d needed). %(detail)s") % {
                "n": n,
                "minimum": minimum,
                "detail": detail,
            }
            results.append(Measurement(Status.SMALL_SAMPLE, value, display, None, detail, n))
            continue
        level = level_from_bands(-value if spec.is_lower_better else value, spec.bands)
        results.append(Measurement(Status.MEASURED, value, display, level, detail, n))
    return results


FRONT_LINE = _Spec(
    "front_line_hours",
    _at_most(FRONT_LINE_HOURS),
    True,
    lambda c: _("Mean over %(n)d cases seen by their owner in the last 90 days.") % {"n": c.seen},
    gettext_lazy("No case was seen by its owner in the last 90 days."),
)
FOLLOWED_UP = _Spec(
    "detractors_followed_share",
    FOLLOWED_UP_BANDS,
    False,
    lambda c: (
        _(
            "%(followed)d of %(detractors)d detractors of the last 90 days reached by a call or "
            "sent a reply."
        )
        % {"followed": c.detractors_followed, "detractors": c.detractors}
    ),
    gettext_lazy("No detractor in the last 90 days."),
)
CLOSURE = _Spec(
    "resolution_hours",
    _at_most(CLOSURE_HOURS),
    True,
    lambda c: _("Mean over %(n)d cases of the last 90 days resolved or closed.") % {"n": c.done},
    gettext_lazy("No case of the last 90 days is resolved yet."),
)
SOLVED = _Spec(
    "resurvey_solved_share",
    SOLVED_BANDS,
    False,
    lambda c: (
        _("%(solved)d of %(answers)d re-surveyed customers said the problem was solved.")
        % {"solved": c.resurvey_solved, "answers": c.resurveyed}
    ),
    gettext_lazy("No customer answered a re-survey about a case of the last 90 days."),
)


def measure_front_line(request: EvidenceRequest) -> list[Measurement]:
    return _measure(FRONT_LINE, request)


def measure_followed_up(request: EvidenceRequest) -> list[Measurement]:
    return _measure(FOLLOWED_UP, request)


def measure_closure(request: EvidenceRequest) -> list[Measurement]:
    return _measure(CLOSURE, request)


def measure_solved(request: EvidenceRequest) -> list[Measurement]:
    return _measure(SOLVED, request)


INDICATORS = [
    Indicator(
        key="case_closure_time",
        factor=Factor.CUSTOMER_FOCUS,
        label=gettext_lazy("Time to close a customer's problem"),
        description=gettext_lazy("Mean time from a case opening to its resolution, 90 days."),
        step=gettext_lazy("Give every case a deadline and an owner."),
        feature="detractor_rule",
        measure=measure_closure,
        order=20,
    ),
    Indicator(
        key="resurvey_solved_rate",
        factor=Factor.CUSTOMER_FOCUS,
        label=gettext_lazy("Problems solved, in the customer's words"),
        description=gettext_lazy("Share of re-surveyed customers who say the problem was solved."),
        step=gettext_lazy("Ask customers whose case was closed whether it was really solved."),
        feature="detractor_rule",
        measure=measure_solved,
        order=30,
    ),
    Indicator(
        key="time_to_front_line",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Time to the front line"),
        description=gettext_lazy("Mean time from feedback stored to its owner seeing the case."),
        step=gettext_lazy("Send each unit's feedback to its staff as it arrives."),
        feature="members",
        measure=measure_front_line,
        order=50,
    ),
    Indicator(
        key="detractors_followed_up",
        factor=Factor.MEASUREMENT,
        label=gettext_lazy("Detractors followed up"),
        description=gettext_lazy("Share of detractors reached by a call or sent a reply, 90 days."),
        step=gettext_lazy("Switch on the detractor rule so that every detractor gets an owner."),
        feature="detractor_rule",
        measure=measure_followed_up,
        order=60,
    ),
]
