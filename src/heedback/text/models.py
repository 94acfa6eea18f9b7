"""What the machine read in each comment: language, sentiment, urgency, themes.

Everything here is derived from the responses (collect) and can be rebuilt from them with
``heedback enrich-comments --redo``; nothing here is a fact of its own except the people's
curation of themes (names, keywords, merges, pinned domains).
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.collect.models import Response
from heedback.orgs.models import OrgOwned
from heedback.surveys.models import Domain
from heedback.text.choices import (
    AnalysisStatus,
    AssignmentSource,
    Representation,
    SentimentLabel,
    ThemeOrigin,
    ThemeStatus,
)


class TextAnalysis(OrgOwned):
    """The reading of one text of a response: its comment, or one answer to a text question.

    The unit is the text, not the response, because each text question asks something
    else ("what did you like?", "what should we improve?") and mixing them would average
    praise with blame; the API combines a response's texts into one summary.
    ``body`` keeps a copy of the text so that search and theme discovery read one table.
    """

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    # Blank for the response's comment, else the key of the text question answered.
    question_key = models.CharField(max_length=63, blank=True)
    body = models.TextField()
    language = models.CharField(_("language"), max_length=16)
    status = models.CharField(max_length=20, choices=AnalysisStatus)
    sentiment_score = models.FloatField(_("sentiment"), null=True, blank=True)
    sentiment_label = models.CharField(max_length=10, choices=SentimentLabel, blank=True)
    # [[start, end, score], …]: offsets of each sentence in ``body`` and its score.
    sentences = models.JSONField(default=list)
    model = models.CharField(max_length=40, blank=True)
    is_urgent = models.BooleanField(_("urgent"), default=False)
    urgency_reasons = models.JSONField(default=list)
    # [[reason, start, end], …]: the phrase of ``body`` that fired each reason.
    urgency_evidence = models.JSONField(default=list)
    submitted_at = models.DateTimeField()
    analysed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question_key"], name="text_analysis_unique_text"
            )
        ]
        indexes = [
            models.Index(fields=["organisation", "submitted_at"], name="text_analysis_org_time"),
            models.Index(fields=["organisation", "is_urgent"], name="text_analysis_org_urgent"),
        ]

    def __str__(self) -> str:
        return f"Text {self.question_key or 'comment'} of response {self.response_id}"


class EnrichmentCursor(models.Model):
    """The watermark of the enrichment: every response up to ``position`` has been read.

    Not organisation data but the worker's own state, one row per job. The lease lets
    one worker at a time do the work while others skip; the position only moves by a
    compare-and-set, so a worker whose lease ran out cannot write over another's work.
    """

    name = models.CharField(max_length=40, unique=True)
    position = models.BigIntegerField(default=0)
    leased_by = models.CharField(max_length=64, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.position}"


class ThemeSpace(OrgOwned):
    """How an organisation's texts are turned into vectors to compare with its themes.

    One per organisation. ``assigned_through`` is the watermark of theme assignment: every
    analysis with an id up to it has its themes; curation resets it to reassign.
    """

    representation = models.CharField(max_length=20, choices=Representation)
    # For TF-IDF: the terms and their inverse document frequencies, in vector order.
    vocabulary = models.JSONField(default=list)
    idf = models.JSONField(default=list)
    threshold = models.FloatField(help_text="Least similarity for a sentence to join a theme.")
    sample_size = models.PositiveIntegerField(default=0)
    assigned_through = models.BigIntegerField(default=0)
    discovered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation"], name="theme_space_one_per_org")
        ]

    def __str__(self) -> str:
        return f"Themes of {self.organisation_id} ({self.representation})"


class Theme(OrgOwned):
    """Something people write about, found by clustering and then curated by people."""

    space = models.ForeignKey(ThemeSpace, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField(_("name"), max_length=100)
    # The words that set the theme's sentences apart from the others (discovered).
    label_words = models.JSONField(default=list)
    # Words or phrases that assign a sentence to the theme whatever its vector (curated).
    keywords = models.JSONField(default=list)
    centroid = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    domain = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=ThemeStatus, default=ThemeStatus.ACTIVE)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_themes"
    )
    origin = models.CharField(max_length=20, choices=ThemeOrigin, default=ThemeOrigin.DISCOVERED)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ThemeAssignment(OrgOwned):
    """A theme found in a text; a text can carry several."""

    analysis = models.ForeignKey(
        TextAnalysis, on_delete=models.CASCADE, related_name="theme_assignments"
    )
    # Kept beside the analysis so that "responses mentioning parking" is one indexed filter.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="assignments")
    score = models.FloatField()
    source = models.CharField(max_length=20, choices=AssignmentSource)
    sentence_count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "theme"], name="theme_assignment_unique_theme"
            )
        ]
        indexes = [models.Index(fields=["theme", "response"], name="theme_assignment_response")]

    def __str__(self) -> str:
        return f"{self.theme_id} in {self.analysis_id}"
