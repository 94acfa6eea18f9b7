"""Writes of the text app: enrichment from a watermark, theme discovery, assignment, curation.

All of it runs in the worker (``TextConfig.periodic_jobs``) or a command, never in the
request that stores a response. Every job is idempotent and safe with several workers and
with a worker killed between any two statements:

- a batch is computed outside any transaction, then written in one short transaction
  that also moves the watermark by compare-and-set; a kill before the commit loses the
  batch, which the next run computes again; a worker that lost the race writes nothing;
- a lease (``EnrichmentCursor.leased_until``) keeps a second worker from computing the same
  batch for nothing, and expires, so a killed worker's lease does not block the others;
- the unique constraints make any write that still slips through a no-op error, not a
  double.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect.models import Answer, Response
from heedback.core.errors import Conflict, InvalidInput
from heedback.orgs.models import Organisation
from heedback.surveys.models import Domain
from heedback.text import embeddings, search, themes
from heedback.text.analysis import analyse_texts
from heedback.text.choices import (
    AnalysisStatus,
    AssignmentSource,
    Representation,
    ThemeOrigin,
    ThemeStatus,
)
from heedback.text.models import (
    EnrichmentCursor,
    TextAnalysis,
    Theme,
    ThemeAssignment,
    ThemeSpace,
)

CURSOR = "enrichment"
BATCH_SIZE = 500
LEASE = timedelta(seconds=60)
# A response younger than this may belong to a transaction that has not committed yet while
# a later id already has; waiting this long before passing it keeps the watermark honest.
SETTLE = timedelta(seconds=10)
# How far behind the watermark each run looks for a straggler that committed late.
RECHECK_WINDOW = 5000
# A periodic run stops after this long so that the worker's other jobs get their turn.
TIME_BUDGET_SECONDS = 20.0

Progress = Callable[[int, int], None]


def worker_name() -> str:
    """Return a name for this process in leases: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


def _texts_of(responses: list[Response]) -> list[tuple[Response, str, str]]:
    """Return (response, question key or "", text) for the comment and each text answer."""
    by_id = {response.pk: response for response in responses}
    texts = [(response, "", response.comment) for response in responses if response.comment]
    answers = (
        Answer.objects.filter(response_id__in=by_id, number__isnull=True, choices__isnull=True)
        .exclude(text="")
        .values_list("response_id", "question_key", "text")
        .order_by("response_id", "question_key")
    )
    texts.extend((by_id[response_id], key, text) for response_id, key, text in answers)
    return texts


def read_responses(responses: list[Response]) -> list[TextAnalysis]:
    """Return unsaved analyses of every text of ``responses`` (no database writes)."""
    texts = _texts_of(responses)
    readings = analyse_texts([(text, response.language) for response, _key, text in texts])
    now = timezone.now()
    analyses = []
    for (response, key, text), reading in zip(texts, readings, strict=True):
        sentiment = reading.sentiment
        analyses.append(
            TextAnalysis(
                organisation_id=response.organisation_id,
                response_id=response.pk,
                question_key=key,
                body=text,
                language=reading.language,
                status=reading.status,
                sentiment_score=sentiment.score if sentiment else None,
                sentiment_label=sentiment.label if sentiment else "",
                sentences=[[s.start, s.end, s.score] for s in sentiment.sentences]
                if sentiment
                else [],
                model=reading.model if sentiment else "",
                is_urgent=bool(reading.flags),
                urgency_reasons=[flag.reason for flag in reading.flags],
                urgency_evidence=[[flag.reason, flag.start, flag.end] for flag in reading.flags],
                submitted_at=response.submitted_at,
                analysed_at=now,
            )
        )
    return analyses


def store_analyses(analyses: list[TextAnalysis]) -> int:
    """Save analyses not stored yet and index them for search; return how many were new.

    Call inside a transaction: the rows and their search entries commit together.
    """
    if not analyses:
        return 0
    response_ids = {analysis.response_id for analysis in analyses}
    existing = set(
        TextAnalysis.objects.filter(response_id__in=response_ids).values_list(
            "response_id", "question_key"
        )
    )
    current = _current_texts(response_ids)
    # The texts were read before this transaction: keep only those still as they were
    # read, so that a comment erased (or edited) meanwhile is not written back.
    new = [
        a
        for a in analyses
        if (a.response_id, a.question_key) not in existing
        and current.get((a.response_id, a.question_key)) == a.body
    ]
    created = TextAnalysis.objects.bulk_create(new)
    search.index_texts([(analysis.pk, analysis.body) for analysis in created])
    return len(created)


def _current_texts(response_ids: set[int]) -> dict[tuple[int, str], str]:
    """Return the texts of these responses as committed now, locking the responses.

    The lock orders this write with an erasure of the same responses: an erasure that
    committed first is seen here (its blanked texts no longer match what was read), and
    one that comes later waits for this commit, then blanks the analyses stored by it.
    """
    comments = (
        Response.objects.filter(pk__in=response_ids)
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", "comment")
    )
    texts = {(pk, ""): comment for pk, comment in comments}
    answers = Answer.objects.filter(
        response_id__in=response_ids, number__isnull=True, choices__isnull=True
    ).values_list("response_id", "question_key", "text")
    texts.update(((response_id, key), text) for response_id, key, text in answers)
    return texts


@dataclass
class _Lease:
    name: str
    owner: str

    def take(self) -> bool:
        """Take the lease if nobody holds a live one; return whether this worker has it."""
        EnrichmentCursor.objects.get_or_create(name=self.name)
        now = timezone.now()
        return bool(
            EnrichmentCursor.objects.filter(name=self.name)
            .filter(
                Q(leased_until__isnull=True) | Q(leased_until__lt=now) | Q(leased_by=self.owner)
            )
            .update(leased_by=self.owner, leased_until=now + LEASE)
        )

    def release(self) -> None:
        EnrichmentCursor.objects.filter(name=self.name, leased_by=self.owner).update(
            leased_by="", leased_until=None
        )


def enrich_pending(
    *,
    batch_size: int = BATCH_SIZE,
    settle: timedelta = SETTLE,
    time_budget: float = TIME_BUDGET_SECONDS,
    max_batches: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Read every response received since the watermark; return how many were passed.

    The periodic job of the worker and the engine of ``heedback enrich-comments``.
    """
    cursor, _created = EnrichmentCursor.objects.get_or_create(name=CURSOR)
    if not Response.objects.filter(pk__gt=cursor.position).exists():
        return recheck_stragglers(batch_size=batch_size)  # idle: read only, no lease to write
    lease = _Lease(CURSOR, worker_name())
    if not lease.take():
        return 0
    passed = 0
    started = time.monotonic()
    try:
        total = passed + _remaining(settle) if progress else 0
        batches = 0
        while max_batches is None or batches < max_batches:
            moved = enrich_next_batch(lease, batch_size=batch_size, settle=settle)
            if moved == 0:
                break
            passed += moved
            batches += 1
            if progress:
                progress(passed, max(total, passed))
            if time_budget and time.monotonic() - started > time_budget:
                break
            lease.take()  # renew
        passed += recheck_stragglers(batch_size=batch_size)
    finally:
        lease.release()
    return passed


def _remaining(settle: timedelta) -> int:
    position = EnrichmentCursor.objects.get(name=CURSOR).position
    return Response.objects.filter(
        pk__gt=position, received_at__lte=timezone.now() - settle
    ).count()


def enrich_next_batch(lease: _Lease, *, batch_size: int, settle: timedelta) -> int:
    """Read the next batch after the watermark and move it; return how many responses passed."""
    position = EnrichmentCursor.objects.get(name=lease.name).position
    settled_before = timezone.now() - settle
    candidates = list(Response.objects.filter(pk__gt=position).order_by("pk")[:batch_size])
    batch = []
    for response in candidates:
        if response.received_at > settled_before:
            break  # later ids wait for this one to settle
        batch.append(response)
    if not batch:
        return 0
    analyses = read_responses(batch)
    try:
        with transaction.atomic():
            moved = EnrichmentCursor.objects.filter(
                name=lease.name, position=position, leased_by=lease.owner
            ).update(position=batch[-1].pk, leased_until=timezone.now() + LEASE)
            if not moved:
                return 0  # another worker moved the watermark: its writes stand, ours go
            store_analyses(analyses)
    except IntegrityError:
        return 0  # a concurrent backfill stored some of these texts; the next run retries
    return len(batch)


def recheck_stragglers(*, batch_size: int = BATCH_SIZE) -> int:
    """Read responses just behind the watermark that committed after it passed them."""
    position = EnrichmentCursor.objects.get(name=CURSOR).position
    missing = _unread(
        Response.objects.filter(pk__gt=max(0, position - RECHECK_WINDOW), pk__lte=position)
    )
    stragglers = list(missing.order_by("pk")[:batch_size])
    if stragglers:
        with transaction.atomic():
            store_analyses(read_responses(stragglers))
    return len(stragglers)


def _unread(responses):
    """Return the responses with a text that has no analysis yet."""
    has_text_answer = Answer.objects.filter(
        response_id=OuterRef("pk"), number__isnull=True, choices__isnull=True
    ).exclude(text="")
    analysed = TextAnalysis.objects.filter(response_id=OuterRef("pk"))
    return responses.filter(Q(~Q(comment="")) | Exists(has_text_answer)).exclude(Exists(analysed))


def enrich_organisation(
    organisation: Organisation,
    *,
    redo: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> int:
    """Read every unread text of one organisation (a backfill); return how many responses.

    Resumable: each batch commits on its own and a rerun skips what is stored. ``redo``
    first deletes the organisation's analyses (after a model change) and reads all again.
    """
    if redo:
        forget_analyses(organisation)
    pending = _unread(Response.objects.filter(organisation=organisation))
    total = pending.count()
    done = 0
    last_id = 0
    if progress:
        progress(0, total)
    while True:
        batch = list(pending.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            store_analyses(read_responses(batch))
        last_id = batch[-1].pk
        done += len(batch)
        if progress:
            progress(done, max(total, done))
    return done


def forget_analyses(organisation: Organisation, *, response_ids: list[int] | None = None) -> int:
    """Delete analyses (with their themes and search entries) of an organisation's responses.

    All of them before a ``--redo``; only ``response_ids`` when personal data is erased,
    because an analysis keeps a copy of the text. The texts are read again only if they
    still hold something (an erased comment is blank, so nothing comes back).
    """
    analyses = TextAnalysis.objects.filter(organisation=organisation)
    if response_ids is not None:
        analyses = analyses.filter(response_id__in=response_ids)
    deleted = 0
    while True:
        with transaction.atomic():
            rows = list(analyses.values_list("pk", "body")[:BATCH_SIZE])
            if not rows:
                return deleted
            search.unindex_texts(rows)
            TextAnalysis.objects.filter(pk__in=[pk for pk, _body in rows]).delete()
            deleted += len(rows)


# --- Themes -----------------------------------------------------------------------------

DISCOVERY_SENTENCES = 4000
MIN_TEXTS_FOR_DISCOVERY = 100
MIN_THEME_SHARE = 0.015
MIN_SENTENCE_WORDS = 3
SAME_THEME_SIMILARITY = 0.8


def _sentences_of(analysis: TextAnalysis) -> list[str]:
    return [analysis.body[start:end] for start, end, _score in analysis.sentences]


def _representation(preferred: str | None) -> str:
    if preferred:
        return preferred
    return Representation.EMBEDDING if embeddings.available() else Representation.TFIDF


def sentence_vectors(space: ThemeSpace, sentences: list[str]) -> np.ndarray:
    """Return the unit vectors of ``sentences`` in the organisation's theme space."""
    if space.representation == Representation.EMBEDDING:
        return embeddings.encode(sentences)
    tfidf = themes.TfidfSpace(tuple(space.vocabulary), tuple(space.idf))
    return tfidf.vectors([themes.tokens(sentence) for sentence in sentences])


def _discovery_sample(organisation: Organisation, limit: int) -> list[str]:
    """Return up to ``limit`` sentences of the organisation's newest English texts."""
    sentences: list[str] = []
    analyses = (
        TextAnalysis.objects.filter(
            organisation=organisation, status=AnalysisStatus.ANALYSED, language="en"
        )
        .order_by("-pk")
        .only("body", "sentences")[: 5 * limit]  # bounded even when few sentences qualify
    )
    for analysis in analyses.iterator(chunk_size=1000):
        for sentence in _sentences_of(analysis):
            if len(themes.tokens(sentence)) >= MIN_SENTENCE_WORDS:
                sentences.append(sentence)
        if len(sentences) >= limit:
            break
    return sentences[:limit]


@transaction.atomic
def discover_themes(
    organisation: Organisation, *, representation: str | None = None, seed: int = 6
) -> ThemeSpace | None:
    """Find the organisation's themes by clustering its sentences; keep the curated ones.

    Discovered themes nobody has touched are replaced; curated ones (renamed, with keywords,
    pinned to a domain, made by a person) stay, and a new cluster too close to one of them
    is dropped. Every text is then reassigned by ``assign_pending_themes``.
    """
    sentences = _discovery_sample(organisation, DISCOVERY_SENTENCES)
    if len(sentences) < 2 * themes.theme_count(len(sentences)):
        return None
    representation = _representation(representation)
    space = ThemeSpace.objects.select_for_update().filter(organisation=organisation).first()
    if space is not None and space.representation != representation:
        space.delete()  # vectors of another kind cannot be compared: start over
        space = None
    documents = [themes.tokens(sentence) for sentence in sentences]
    if space is None:
        space = ThemeSpace(organisation=organisation, representation=representation)
    if representation == Representation.TFIDF:
        tfidf = themes.TfidfSpace.learn(documents)
        space.vocabulary, space.idf = list(tfidf.vocabulary), list(tfidf.idf)
    vectors = sentence_vectors(space, sentences)
    k = themes.theme_count(len(sentences))
    labels, centres = themes.spherical_kmeans(vectors, k, seed=seed)
    space.threshold = themes.similarity_threshold(vectors, labels, centres)
    space.sample_size = len(sentences)
    space.discovered_at = timezone.now()
    space.assigned_through = 0
    space.save()
    _replace_discovered_themes(space, documents, labels, centres)
    ThemeAssignment.objects.filter(organisation=organisation).delete()
    return space


def _replace_discovered_themes(
    space: ThemeSpace, documents: list[list[str]], labels: np.ndarray, centres: np.ndarray
) -> None:
    kept = [theme for theme in space.themes.all() if _is_curated(theme)]
    space.themes.exclude(pk__in=[theme.pk for theme in kept]).delete()
    kept_centres = np.asarray([theme.centroid for theme in kept], dtype=np.float32)
    words = themes.characteristic_words(documents, labels, len(centres))
    least = max(5, int(MIN_THEME_SHARE * len(documents)))
    for index, centre in enumerate(centres):
        size = int(np.sum(labels == index))
        if size < least or not words[index]:
            continue
        if len(kept) and float(np.max(kept_centres @ centre)) >= SAME_THEME_SIMILARITY:
            continue
        Theme.objects.create(
            organisation_id=space.organisation_id,
            space=space,
            name=", ".join(words[index][:3]),
            label_words=words[index],
            centroid=[round(float(value), 6) for value in centre],
            size=size,
        )


def _is_curated(theme: Theme) -> bool:
    return (
        theme.origin == ThemeOrigin.CURATED
        or bool(theme.keywords)
        or theme.domain_id is not None
        or theme.name != ", ".join(theme.label_words[:3])
        or theme.status != ThemeStatus.ACTIVE
    )


def discover_themes_where_due() -> int:
    """Discover themes for one organisation that has enough texts and no themes yet."""
    due = (
        Organisation.objects.annotate(
            has_space=Exists(ThemeSpace.objects.filter(organisation=OuterRef("pk")))
        )
        .filter(has_space=False)
        .order_by("pk")
    )
    for organisation in due:
        count = TextAnalysis.objects.filter(
            organisation=organisation, status=AnalysisStatus.ANALYSED, language="en"
        )[:MIN_TEXTS_FOR_DISCOVERY].count()
        if count >= MIN_TEXTS_FOR_DISCOVERY:
            return int(discover_themes(organisation) is not None)
    return 0


def assign_pending_themes(
    *, batch_size: int = BATCH_SIZE, time_budget: float = TIME_BUDGET_SECONDS
) -> int:
    """Give themes to the texts after each organisation's assignment watermark."""
    done = 0
    started = time.monotonic()
    for space_id in ThemeSpace.objects.order_by("pk").values_list("pk", flat=True):
        while moved := assign_next_batch(space_id, batch_size=batch_size):
            done += moved
            if time_budget and time.monotonic() - started > time_budget:
                return done
    return done


def assign_next_batch(space_id: int, *, batch_size: int = BATCH_SIZE) -> int:
    """Assign the next batch of one space's texts and move its watermark by compare-and-set."""
    space = ThemeSpace.objects.filter(pk=space_id).first()
    if space is None:
        return 0
    position = space.assigned_through
    analyses = list(
        TextAnalysis.objects.filter(organisation_id=space.organisation_id, pk__gt=position)
        .order_by("pk")
        .only("pk", "response_id", "body", "sentences", "status", "language")[:batch_size]
    )
    if not analyses:
        return 0
    rows = theme_assignments(space, list(space.themes.filter(status=ThemeStatus.ACTIVE)), analyses)
    with transaction.atomic():
        moved = ThemeSpace.objects.filter(pk=space.pk, assigned_through=position).update(
            assigned_through=analyses[-1].pk
        )
        if not moved:
            return 0  # another worker, or a curation that restarted the assignment
        ThemeAssignment.objects.bulk_create(rows, ignore_conflicts=True)
    return len(analyses)


def theme_assignments(
    space: ThemeSpace, active: list[Theme], analyses: list[TextAnalysis]
) -> list[ThemeAssignment]:
    """Return unsaved assignments: a theme per sentence by similarity, any theme by keyword.

    A sentence without a content word ("Thanks!", "Very good.") names no theme by
    similarity and is not encoded: with embeddings, encoding is nearly all the cost.
    """
    owners, sentences = [], []
    for analysis in analyses:
        if analysis.status == AnalysisStatus.ANALYSED and analysis.language == "en":
            for sentence in _sentences_of(analysis):
                owners.append(analysis)
                sentences.append(sentence)
    if not sentences or not active:
        return []
    found: dict[tuple[int, int], list] = {}  # (analysis, theme) -> [score, count, source]

    def note(analysis: TextAnalysis, theme: Theme, score: float, source: str) -> None:
        entry = found.setdefault((analysis.pk, theme.pk), [score, 0, source, analysis, theme])
        entry[0] = max(entry[0], score)
        entry[1] += 1
        if source == AssignmentSource.KEYWORD:
            entry[2] = source

    with_centroid = [theme for theme in active if theme.centroid]
    if with_centroid:
        centres = np.asarray([theme.centroid for theme in with_centroid], dtype=np.float32)
        worded = [row for row, sentence in enumerate(sentences) if themes.tokens(sentence)]
        vectors = sentence_vectors(space, [sentences[row] for row in worded])
        for row, nearest in zip(
            worded, themes.nearest_themes(vectors, centres, space.threshold), strict=True
        ):
            if nearest is not None:
                theme = with_centroid[nearest[0]]
                note(owners[row], theme, nearest[1], AssignmentSource.SIMILARITY)
    for theme in active:
        pattern = themes.keyword_pattern(theme.keywords)
        if pattern is None:
            continue
        for owner, sentence in zip(owners, sentences, strict=True):
            if pattern.search(sentence):
                note(owner, theme, 1.0, AssignmentSource.KEYWORD)
    return [
        ThemeAssignment(
            organisation_id=space.organisation_id,
            analysis_id=analysis.pk,
            response_id=analysis.response_id,
            theme=theme,
            score=round(score, 4),
            source=source,
            sentence_count=count,
        )
        for score, count, source, analysis, theme in found.values()
    ]


# --- Curation -----------------------------------------------------------------------------


def _restart_assignment(space: ThemeSpace) -> None:
    """Forget the space's assignments and move its watermark back: the worker redoes them."""
    ThemeAssignment.objects.filter(theme__space=space).delete()
    ThemeSpace.objects.filter(pk=space.pk).update(assigned_through=0)


def _touch(theme: Theme, **changes: object) -> Theme:
    for name, value in changes.items():
        setattr(theme, name, value)
    theme.updated_at = timezone.now()
    theme.save(update_fields=[*changes, "updated_at"])
    return theme


def rename_theme(theme: Theme, name: str) -> Theme:
    """Give the theme the name people use for it."""
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InvalidInput.from_pairs(
            _("The theme is not valid."), [("name", _("Give 1–100 characters."))]
        )
    return _touch(theme, name=name)


@transaction.atomic
def set_keywords(theme: Theme, keywords: list[str]) -> Theme:
    """Set the words that put a sentence in the theme whatever its vector; reassign all."""
    cleaned = sorted({" ".join(word.lower().split()) for word in keywords if word.strip()})
    if any(len(word) > 60 for word in cleaned) or len(cleaned) > 50:
        raise InvalidInput.from_pairs(
            _("The theme is not valid."), [("keywords", _("At most 50 keywords of 60 characters."))]
        )
    _touch(theme, keywords=cleaned)
    _restart_assignment(theme.space)
    return theme


def pin_domain(theme: Theme, domain: Domain | None) -> Theme:
    """Tie the theme to a satisfaction domain of its organisation (or untie it with None)."""
    if domain is not None and domain.organisation_id != theme.organisation_id:
        raise InvalidInput.from_pairs(_("The theme is not valid."), [("domain", _("not found"))])
    return _touch(theme, domain=domain)


@transaction.atomic
def create_theme(
    organisation: Organisation, name: str, keywords: list[str], domain: Domain | None = None
) -> Theme:
    """Add a theme made by a person, found by its keywords (the space must exist)."""
    space = ThemeSpace.objects.filter(organisation=organisation).first()
    if space is None:
        raise Conflict(_("Themes are discovered first; there are not enough comments yet."))
    theme = Theme.objects.create(
        organisation=organisation, space=space, name=name, origin=ThemeOrigin.CURATED
    )
    rename_theme(theme, name)
    pin_domain(theme, domain)
    return set_keywords(theme, keywords)


@transaction.atomic
def merge_themes(target: Theme, others: list[Theme]) -> Theme:
    """Fold ``others`` into ``target``: their texts, keywords and centroid move over."""
    others = [theme for theme in others if theme.pk != target.pk]
    if any(theme.space_id != target.space_id for theme in others):
        raise InvalidInput.from_pairs(_("The themes are not valid."), [("themes", _("not found"))])
    keep = set(ThemeAssignment.objects.filter(theme=target).values_list("analysis_id", flat=True))
    moving = ThemeAssignment.objects.filter(theme__in=others)
    moving.exclude(analysis_id__in=keep).update(theme=target)
    moving.delete()
    weighted = [
        (theme.centroid, max(theme.size, 1)) for theme in [target, *others] if theme.centroid
    ]
    if weighted:
        mean = sum(np.asarray(vector) * size for vector, size in weighted)
        target.centroid = [round(float(v), 6) for v in themes.normalise(np.asarray([mean]))[0]]
    keywords = sorted({*target.keywords, *(word for theme in others for word in theme.keywords)})
    for theme in others:
        _touch(theme, status=ThemeStatus.MERGED, merged_into=target)
    return _touch(
        target,
        centroid=target.centroid,
        keywords=keywords,
        size=target.size + sum(theme.size for theme in others),
        origin=ThemeOrigin.CURATED,
    )


@transaction.atomic
def split_theme(theme: Theme, parts: int = 2, *, seed: int = 6) -> list[Theme]:
    """Split a theme in ``parts`` by clustering its own sentences; the original is archived."""
    space = theme.space
    analyses = TextAnalysis.objects.filter(theme_assignments__theme=theme).order_by("-pk")[:2000]
    sentences = [sentence for analysis in analyses for sentence in _sentences_of(analysis)]
    if sentences and theme.centroid:
        vectors = sentence_vectors(space, sentences)
        close = vectors @ np.asarray(theme.centroid, dtype=np.float32) >= space.threshold
        sentences = [sentence for sentence, keep in zip(sentences, close, strict=True) if keep]
    if len(sentences) < 4 * parts:
        raise Conflict(_("This theme has too few sentences to split."))
    vectors = sentence_vectors(space, sentences)
    labels, centres = themes.spherical_kmeans(vectors, parts, seed=seed)
    documents = [themes.tokens(sentence) for sentence in sentences]
    words = themes.characteristic_words(documents, labels, parts)
    created = [
        Theme.objects.create(
            organisation_id=theme.organisation_id,
            space=space,
            name=", ".join(words[index][:3]) or f"{theme.name} {index + 1}",
            label_words=words[index],
            centroid=[round(float(value), 6) for value in centre],
            size=int(np.sum(labels == index)),
            domain=theme.domain,
            origin=ThemeOrigin.CURATED,
        )
        for index, centre in enumerate(centres)
    ]
    _touch(theme, status=ThemeStatus.ARCHIVED)
    _restart_assignment(space)
    return created


@transaction.atomic
def archive_theme(theme: Theme) -> Theme:
    """Stop using a theme: it keeps its name but no text is assigned to it any more."""
    ThemeAssignment.objects.filter(theme=theme).delete()
    return _touch(theme, status=ThemeStatus.ARCHIVED)
