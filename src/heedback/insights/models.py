"""Rollups: additive counts of answers, from which every metric follows exactly.

A rollup row holds the sufficient statistics of one question for one organisation × survey ×
unit × channel × day (or month): how many answered, and how many gave each value. Adding
rows adds answers, so any period, unit subtree or channel is a SUM over a few rows, and
every metric of ``metrics.py`` (NPS, CSAT, means, shares, intervals) follows exactly from the
summed histogram. Rows are *derived*: ``heedback rebuild-rollups`` recomputes them from the
responses, and ``services.refresh_rollups`` keeps them current (see ADR 0001).

The histogram is stored *wide* (one column per value) rather than one row per value: a
numeric answer is a whole number from 0 to 11 (scales start at 0 or 1 and span at most ten
steps, ``surveys.definition.Scale``), so twelve columns hold any question, and a two-year
monthly trend over 200 units reads one row per unit × month × channel instead of eleven.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from heedback.orgs.models import Organisation, OrgOwned, Unit
from heedback.surveys.models import Survey

#: The values a numeric answer can take (NPS 0-10, ratings 0/1 to at most 11, CES 1-7,
#: yes/no as 1/0); ``answers_<value>`` counts each.
HISTOGRAM_VALUES = range(12)

#: ``question_key`` of the rows that count responses rather than answers.
RESPONSES_KEY = ""


class Grain(models.TextChoices):
    """How long a rollup row's period is: a day, a week (Monday stored) or a calendar month
    (first day stored).

    Reads cover a period with whole months, then whole weeks, then days, so that a "last
    30 days" reads four weeks and two days rather than thirty days of rows.
    """

    DAY = "day", "day"
    WEEK = "week", "week"
    MONTH = "month", "month"


def _derived(to: type[models.Model]) -> models.ForeignKey:
    """Return a foreign key for a rollup row: no index and no database constraint.

    The cell key is the primary key and the only index, because each extra index or
    constraint check costs every new cell another B-tree insert or lookup (a constraint
    check doubled the cost of a rebuild on PostgreSQL). Rows are derived from responses,
    which themselves protect their survey and unit; deleting an organisation still removes
    its rows, through Django's cascade, by a scan.
    """
    return models.ForeignKey(
        to, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )


class RollupRow(OrgOwned):
    """Fields shared by the rollup tables: whose answers, when and through which channel."""

    organisation = _derived(Organisation)
    survey = _derived(Survey)
    grain = models.CharField(max_length=5, choices=Grain)
    # The day in the organisation's time zone (``Response.local_date``), or the Monday of its
    # week, or the first of its month.
    period_start = models.DateField()
    channel = models.CharField(max_length=20)
    question_key = models.CharField(max_length=63, blank=True)

    class Meta:
        abstract = True


class HistogramRow(RollupRow):
    """How many answered one question, and how many gave each value, in one cell.

    ``answers`` counts every answer (a text, chosen options or a number); ``answers_<v>``
    counts the numeric answers equal to ``v``. The row with ``question_key`` ``""`` counts
    the responses themselves.
    """

    answers = models.PositiveIntegerField(default=0)
    answers_0 = models.PositiveIntegerField(default=0)
    answers_1 = models.PositiveIntegerField(default=0)
    answers_2 = models.PositiveIntegerField(default=0)
    answers_3 = models.PositiveIntegerField(default=0)
    answers_4 = models.PositiveIntegerField(default=0)
    answers_5 = models.PositiveIntegerField(default=0)
    answers_6 = models.PositiveIntegerField(default=0)
    answers_7 = models.PositiveIntegerField(default=0)
    answers_8 = models.PositiveIntegerField(default=0)
    answers_9 = models.PositiveIntegerField(default=0)
    answers_10 = models.PositiveIntegerField(default=0)
    answers_11 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def histogram(self) -> dict[int, int]:
        """Return the numeric answers of this row as ``{value: count}``."""
        counts = {value: getattr(self, f"answers_{value}") for value in HISTOGRAM_VALUES}
        return {value: count for value, count in counts.items() if count}


class AnswerRollup(HistogramRow):
    """The counts of one unit's answers (the unit that served, never its ancestors).

    Rows are keyed by the leaf unit, so a subtree is a sum over its units and stays true
    when a unit moves in the tree.
    """

    # The cell is the key, and the key is the index of every read: survey, question, grain,
    # then a range of periods.
    pk = models.CompositePrimaryKey(
        "survey_id", "question_key", "grain", "period_start", "unit_id", "channel"
    )
    unit = _derived(Unit)

    def __str__(self) -> str:
        return f"{self.question_key or 'responses'} {self.grain} {self.period_start}"


class OrganisationRollup(HistogramRow):
    """The same counts summed over every unit: what organisation-wide figures read.

    An organisation's two-year NPS trend reads 24 months × its channels from here, instead
    of 24 months × units × channels from ``AnswerRollup``; reads narrowed to units (a
    subtree, a manager's units, a breakdown by unit) use ``AnswerRollup``.
    """

    pk = models.CompositePrimaryKey("survey_id", "question_key", "grain", "period_start", "channel")

    def __str__(self) -> str:
        return f"{self.question_key or 'responses'} {self.grain} {self.period_start} (all units)"


class OptionRollup(RollupRow):
    """How many chose one option of a choice question in one cell."""

    pk = models.CompositePrimaryKey(
        "survey_id", "question_key", "grain", "period_start", "unit_id", "channel", "option"
    )
    unit = _derived(Unit)
    option = models.CharField(max_length=63)
    answers = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.question_key}={self.option} {self.grain} {self.period_start}"


#: The primary key of the one ``RollupState`` row.
STATE_ID = 1


class RollupState(models.Model):
    """The one row saying which responses the rollups hold (``services.refresh_rollups``).

    Every response with an id up to ``watermark`` is counted (or will never exist); above
    it, exactly the responses listed in ``CountedResponse`` are. ``horizon_id`` and
    ``horizon_at`` are the next watermark candidate: the highest id seen at that moment,
    which becomes the watermark once every transaction older than the moment has ended.
    """

    watermark = models.BigIntegerField(default=0)
    horizon_id = models.BigIntegerField(null=True, blank=True)
    horizon_at = models.DateTimeField(null=True, blank=True)
    batch = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"rollups up to response {self.watermark}"


class RollupVersion(models.Model):
    """Which state an organisation's rollups are in: part of the key of the read cache.

    Every statement that adds an organisation's responses to the rollups (the refresh, a
    rebuild's chunk) or deletes its rollups (a rebuild's start) sets a new random version,
    in the same transaction. With the organisation's not-yet-counted responses (``read_cache``) it
    names exactly which responses a figure describes, so a cached figure is never stale.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"rollups of {self.organisation_id}, version {self.version}"


class CountedResponse(models.Model):
    """A response above the watermark that the rollups already count.

    On PostgreSQL ids commit out of order, so a response can be visible while a smaller id
    is still in flight; it is counted at once and listed here, and the list is pruned when
    the watermark passes it. No foreign key: the row must not slow down or block the
    response it names.
    """

    response_id = models.BigIntegerField(primary_key=True)
    batch = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"response {self.response_id} (batch {self.batch})"


class RollupRebuild(models.Model):
    """An organisation whose rollups are being recomputed from its responses.

    The rebuild deleted the organisation's rollups and recounts its responses with ids up
    to ``upto_id`` in chunks; ``done_id`` is how far it got. Responses in
    (``done_id``, ``upto_id``] are not in the rollups yet, so reads add them from the raw
    rows and the figures stay exact while it runs.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="+")
    upto_id = models.BigIntegerField()
    done_id = models.BigIntegerField(default=0)
    total = models.BigIntegerField(default=0)
    counted = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"rebuild of {self.organisation_id}: {self.counted}/{self.total}"


class DriverSumRow(OrgOwned):
    """Pairwise cross-product sums of two numeric questions over one cell's responses.

    For the pair (``question_key``, ``other_key``), with ``question_key <= other_key``, the
    row sums over the responses that answered *both* (pairwise, see ADR 0002): how many
    (``n``), Σx, Σy, Σx², Σy² and Σxy. The pair of a question with itself holds its own
    count, sum and sum of squares. Sums add, so any period and unit subtree is a SUM, and a
    correlation matrix — hence a driver regression and its Shapley decomposition — follows
    exactly (``drivers.py``). Values are whole numbers 0–11, so the sums are exact integers.
    """

    organisation = _derived(Organisation)
    survey = _derived(Survey)
    grain = models.CharField(max_length=5, choices=Grain)
    period_start = models.DateField()
    question_key = models.CharField(max_length=63)
    other_key = models.CharField(max_length=63)
    n = models.BigIntegerField(default=0)
    sum_left = models.BigIntegerField(default=0)
    sum_other = models.BigIntegerField(default=0)
    sum_left_squares = models.BigIntegerField(default=0)
    sum_other_squares = models.BigIntegerField(default=0)
    sum_products = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DriverSum(DriverSumRow):
    """The cross-product sums of one unit's responses (the leaf unit, as ``AnswerRollup``)."""

    pk = models.CompositePrimaryKey(
        "survey_id", "question_key", "other_key", "grain", "period_start", "unit_id"
    )
    unit = _derived(Unit)

    def __str__(self) -> str:
        return f"{self.question_key}×{self.other_key} {self.grain} {self.period_start}"


class OrganisationDriverSum(DriverSumRow):
    """The same sums over every unit: what organisation-wide driver analysis reads."""

    pk = models.CompositePrimaryKey(
        "survey_id", "question_key", "other_key", "grain", "period_start"
    )

    def __str__(self) -> str:
        return f"{self.question_key}×{self.other_key} {self.grain} {self.period_start} (all units)"


# The driver-usage count lives with its service in its own module; importing it here
# registers the model with the app.
from heedback.insights.driver_usage import DriverAnalysisUse  # noqa: E402, F401
