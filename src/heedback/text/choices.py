"""Choices of the text app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AnalysisStatus(models.TextChoices):
    ANALYSED = "analysed", _("analysed")
    # The language is one the active models do not read: no score rather than a wrong one.
    NOT_ANALYSED = "not_analysed", _("not analysed")


class SentimentLabel(models.TextChoices):
    POSITIVE = "positive", _("positive")
    NEUTRAL = "neutral", _("neutral")
    NEGATIVE = "negative", _("negative")
    MIXED = "mixed", _("mixed")


class UrgencyReason(models.TextChoices):
    LEAVING = "leaving", _("threatens to leave or cancel")
    NEVER_AGAIN = "never_again", _("never again")
    PUBLIC = "public", _("threatens to complain in public")
    LEGAL = "legal", _("threatens a lawyer or a regulator")
    SAFETY = "safety", _("safety or health")
    DISCRIMINATION = "discrimination", _("discrimination or abuse")


class ThemeStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    MERGED = "merged", _("merged")
    ARCHIVED = "archived", _("archived")


class ThemeOrigin(models.TextChoices):
    DISCOVERED = "discovered", _("discovered")
    CURATED = "curated", _("made by a person")


class AssignmentSource(models.TextChoices):
    SIMILARITY = "similarity", _("similar to the theme")
    KEYWORD = "keyword", _("contains a keyword")


class Representation(models.TextChoices):
    TFIDF = "tfidf", _("word weights (TF-IDF)")
    EMBEDDING = "embedding", _("sentence embeddings")
