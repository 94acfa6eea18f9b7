"""Public reviews and social mentions sent by connectors, stored as responses of one inbox.

A mention becomes a response of the organisation's mention survey (``MentionInbox``, made
on first use: one rating question on 1–5), with channel ``review`` or ``social``, its text
as the comment and the post's time as ``submitted_at``. Everything that reads responses
then sees it: metrics, text enrichment, the loop's "public complaint" rule, exports. The
``Mention`` row beside it keeps the site, the author, the public address and the rating
as sent, and makes a repeat idempotent by the site's id or by the post's address.

When the author is a known customer the response is theirs, so the post shows on their
timeline and counts in their history (see ``author_customers``); an unknown author stays
anonymous: a public post never creates a customer record.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from heedback.collect import services, storage
from heedback.collect.choices import Channel
from heedback.collect.models import Mention, MentionInbox
from heedback.core.errors import Conflict, InvalidInput, ServiceError
from heedback.customers.models import Customer
from heedback.customers.selectors import (
    customers_by_email,
    customers_by_external_id,
    live_customers,
)
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.selectors import root_unit
from heedback.surveys import services as survey_services
from heedback.surveys.models import Survey

MENTION_CHANNELS = (Channel.REVIEW, Channel.SOCIAL)
RATING_QUESTION = "rating"
# Every site's rating is put on this scale, so that a 4/5 star review and an 8/10 one
# count alike; the rating as sent stays on the Mention.
INBOX_SCALE = (1, 5)
MAX_SITE_LENGTH = 60
MAX_HANDLE_LENGTH = 200
MAX_URL_LENGTH = 2000
MAX_EMAIL_LENGTH = 254
_url_validator = URLValidator(schemes=["http", "https"])


@dataclass(frozen=True)
class MentionInput:
    """One review or post as a connector describes it; ``unit`` None means the root unit."""

    channel: str
    site: str
    posted_at: datetime
    text: str = ""
    author_handle: str = ""
    public_url: str = ""
    external_id: str = ""
    rating: float | None = None
    rating_worst: int = 1
    rating_best: int = 5
    unit: Unit | None = None
    language: str = ""
    # Who wrote it, when the connector knows: the customer's id in the organisation's
    # systems, or the author's email (a review site's verified buyer). Neither is stored
    # on the mention: they only lead to the customer.
    customer_external_id: str = ""
    author_email: str = ""

    @property
    def site_key(self) -> str:
        return self.site.strip().lower()

    @property
    def email(self) -> str:
        """Return the author's email: the one given, else a handle that is an address."""
        for candidate in (self.author_email, self.author_handle):
            candidate = candidate.strip().lower()
            if candidate and _is_email(candidate):
                return candidate
        return ""

    @property
    def identities(self) -> tuple[tuple[str, str], ...]:
        """Return what makes two sends the same post: the site's id, the public address."""
        found = []
        if self.external_id.strip():
            found.append(("id", f"{self.site_key}\n{self.external_id.strip()}"))
        if self.public_url.strip():
            found.append(("url", self.public_url.strip()))
        return tuple(found)


def _is_email(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return len(text) <= MAX_EMAIL_LENGTH


def inbox_survey(organisation: Organisation) -> Survey:
    """Return the organisation's mention survey, creating and publishing it on first use."""
    inbox = MentionInbox.objects.filter(organisation=organisation).select_related("survey").first()
    if inbox is not None:
        return _with_version(inbox.survey, organisation)
    try:
        with transaction.atomic():
            survey = survey_services.create_survey(
                organisation,
                name=_("Public reviews and mentions"),
                definition={
                    "title": _("Public reviews and mentions"),
                    "questions": [
                        {
                            "key": RATING_QUESTION,
                            "type": "rating",
                            "text": _("Rating"),
                            "scale": {"min": INBOX_SCALE[0], "max": INBOX_SCALE[1]},
                        }
                    ],
                },
            )
            survey_services.publish_survey(survey)
            MentionInbox.objects.create(organisation=organisation, survey=survey)
    except IntegrityError:  # another request made it first: use theirs
        survey = MentionInbox.objects.get(organisation=organisation).survey
    return _with_version(survey, organisation)


def _with_version(survey: Survey, organisation: Organisation) -> Survey:
    survey = Survey.objects.select_related("published_version").get(pk=survey.pk)
    survey.organisation = organisation
    return survey


def inbox_rating(value: float, worst: int, best: int) -> int:
    """Return a rating given on [worst, best] as a whole point of the inbox's 1–5 scale."""
    low, high = INBOX_SCALE
    share = (value - worst) / (best - worst)
    return min(high, max(low, math.floor(low + share * (high - low) + 0.5)))


def mention_errors(item: MentionInput) -> list[tuple[str, str]]:
    """Check what is particular to a mention; the response's own checks come after."""
    errors = []
    if item.channel not in MENTION_CHANNELS:
        errors.append(("channel", _("Choose one of: %s.") % ", ".join(MENTION_CHANNELS)))
    if not item.site.strip() or len(item.site.strip()) > MAX_SITE_LENGTH:
        errors.append(("site", _("Name the site in 1–%d characters.") % MAX_SITE_LENGTH))
    if len(item.author_handle) > MAX_HANDLE_LENGTH:
        errors.append(("author_handle", _("At most %d characters.") % MAX_HANDLE_LENGTH))
    url = item.public_url.strip()
    if url:
        try:
            if len(url) > MAX_URL_LENGTH:
                raise ValidationError("too long")
            _url_validator(url)
        except ValidationError:
            errors.append(("public_url", _("Give the post's http or https address.")))
    if not item.identities:
        errors.append(("external_id", _("Give the site's id of the post or its public_url.")))
    if item.author_email.strip() and not _is_email(item.author_email.strip().lower()):
        errors.append(("author_email", _("Enter a valid email address.")))
    errors.extend(_rating_errors(item))
    for name in ("site", "author_handle", "public_url", "text", "customer_external_id"):
        if "\x00" in getattr(item, name):
            errors.append((name, _("Remove the NUL character.")))
    return errors


def _rating_errors(item: MentionInput) -> list[tuple[str, str]]:
    if not 0 <= item.rating_worst < item.rating_best <= 100:
        return [("rating_best", _("Give a scale with 0 ≤ worst < best ≤ 100."))]
    if item.rating is None:
        return []
    if not math.isfinite(item.rating) or not item.rating_worst <= item.rating <= item.rating_best:
        return [
            (
                "rating",
                _("Give a rating from %(worst)d to %(best)d.")
                % {"worst": item.rating_worst, "best": item.rating_best},
            )
        ]
    return []


def _build(
    survey: Survey, unit: Unit, item: MentionInput, author: Customer | None
) -> storage.NewResponse:
    """Validate one mention whole and return the response row to insert, with its rating."""
    errors = mention_errors(item)
    if item.customer_external_id.strip() and author is None:
        errors.append(("customer", _("No customer has this external id.")))
    answers = {}
    if item.rating is not None and not errors:
        answers[RATING_QUESTION] = inbox_rating(item.rating, item.rating_worst, item.rating_best)
    submission = services.Submission(
        survey=survey,
        unit=unit,
        answers=answers,
        idempotency_key=idempotency_key(item),
        channel=item.channel if item.channel in MENTION_CHANNELS else Channel.REVIEW,
        submitted_at=item.posted_at,
        comment=item.text,
        language=item.language,
        external_id=item.external_id.strip(),
        customer=author,
        errors=errors,
    )
    try:
        return services.build_row(submission)
    except InvalidInput as error:
        # The survey speaks of answers and a comment; a connector sent a rating and a text.
        renamed = {
            {"answers": "rating", "comment": "text", "submitted_at": "posted_at"}.get(
                path, "rating" if path.startswith("answers.") else path
            ): messages
            for path, messages in error.errors.items()
        }
        raise InvalidInput(_("The mention is not valid."), errors=renamed) from error


def idempotency_key(item: MentionInput) -> str:
    """Return the response's key: the hash of the post's first identity."""
    identity = item.identities[0] if item.identities else ("none", "")
    return "mention:" + hashlib.sha256("\n".join(identity).encode()).hexdigest()[:40]


@dataclass(frozen=True)
class MentionResult:
    index: int
    status: str  # services.ItemStatus
    response_id: int | None = None
    errors: dict[str, list[str]] | None = None

    @property
    def id(self) -> int | None:
        """Return the stored response's id, as every list's result names it."""
        return self.response_id


def ingest_mentions(
    organisation: Organisation, items: list[MentionInput | ServiceError]
) -> list[MentionResult]:
    """Store every valid, new mention at once; report each one's fate in its position.

    A mention is stored whole (response, rating, mention row) or not at all; invalid ones
    never stop the others. One already stored (same site id or same public address, now
    or earlier in the list) is a duplicate pointing at the stored response.
    """
    survey = inbox_survey(organisation)
    default_unit = root_unit(organisation)
    authors = author_customers(organisation, items)
    results: dict[int, MentionResult] = {}
    built: dict[int, tuple[MentionInput, storage.NewResponse]] = {}
    for index, item in enumerate(items):
        if isinstance(item, ServiceError):
            results[index] = MentionResult(index, services.ItemStatus.INVALID, None, _errors(item))
            continue
        try:
            row = _build(survey, item.unit or default_unit, item, authors.get(index))
        except ServiceError as error:
            results[index] = MentionResult(index, services.ItemStatus.INVALID, None, _errors(error))
            continue
        built[index] = (item, row)
    results.update(_store(organisation, built))
    return [results[index] for index in range(len(items))]


def author_customers(
    organisation: Organisation, items: Sequence[MentionInput | ServiceError]
) -> dict[int, Customer]:
    """Return the live customer who wrote each mention (by position), where the author is known.

    The author is known, in this order, by the customer's external id the connector sent
    (a merged record's id leads to the survivor), by the author's email (sent apart, or
    as the handle) matched with a customer's email, or by the site's handle when an
    earlier mention on the same site with the same handle was tied to a customer: a
    handle names one account on its site, so once it is known it stays known. Four
    queries at most, whatever the number of items.
    """
    mentions = {i: item for i, item in enumerate(items) if isinstance(item, MentionInput)}
    named = {i: item.customer_external_id.strip() for i, item in mentions.items()}
    named = {i: external_id for i, external_id in named.items() if external_id}
    by_external_id = customers_by_external_id(organisation, set(named.values())) if named else {}
    found = {i: by_external_id[key] for i, key in named.items() if key in by_external_id}
    # An external id that matches no one is not guessed at: the item is refused.
    unknown = {i: item for i, item in mentions.items() if i not in named}
    emails = {item.email for item in unknown.values() if item.email}
    by_email = customers_by_email(organisation, emails) if emails else {}
    found.update({i: by_email[item.email] for i, item in unknown.items() if item.email in by_email})
    by_handle = _customers_by_handle(
        organisation, [item for i, item in unknown.items() if i not in found]
    )
    for i, item in unknown.items():
        customer = by_handle.get((item.site_key, item.author_handle.strip()))
        if i not in found and customer is not None:
            found[i] = customer
    return found


def _customers_by_handle(
    organisation: Organisation, items: list[MentionInput]
) -> dict[tuple[str, str], Customer]:
    """Return the customer an earlier mention tied to each (site, handle), the newest tie."""
    wanted = {(item.site_key, item.author_handle.strip()) for item in items}
    wanted = {(site, handle) for site, handle in wanted if handle}
    if not wanted:
        return {}
    earlier = (
        Mention.objects.for_org(organisation)
        .filter(
            site__in={site for site, _handle in wanted},
            author_handle__in={handle for _site, handle in wanted},
            response__customer__isnull=False,
        )
        .order_by("site", "author_handle", "-response__submitted_at", "-response_id")
        .values_list("site", "author_handle", "response__customer_id")
    )
    customer_of: dict[tuple[str, str], int] = {}
    for site, handle, customer_id in earlier:
        if (site, handle) in wanted:
            customer_of.setdefault((site, handle), customer_id)
    live = live_customers(organisation).in_bulk(set(customer_of.values()))
    return {pair: live[pk] for pair, pk in customer_of.items() if pk in live}


def _errors(error: ServiceError) -> dict[str, list[str]]:
    return error.errors or {"__all__": [error.message]}


def _store(
    organisation: Organisation, built: dict[int, tuple[MentionInput, storage.NewResponse]]
) -> dict[int, MentionResult]:
    """Insert the new mentions in one transaction; retry with a fresh look-up on a race."""
    for _attempt in range(5):
        stored = _stored_identities(organisation, [item for item, _row in built.values()])
        results, new, repeats = _sort_out(built, stored)
        rows = [row for _index, _item, row in new]
        try:
            with storage.writers_queue(), transaction.atomic():
                storage.insert_rows(rows)
                Mention.objects.bulk_create(
                    _mention(organisation, item, row) for _i, item, row in new
                )
        except IntegrityError:
            storage.forget_ids(rows)
            continue
        for index, _item, row in new:
            results[index] = MentionResult(index, services.ItemStatus.CREATED, row.id)
        for index, first in repeats.items():
            results[index] = MentionResult(index, services.ItemStatus.DUPLICATE, first.id)
        return results
    raise Conflict(_("The mentions kept colliding with concurrent writes; send them again."))


def _sort_out(built, stored: dict[tuple[str, str], int]):
    """Split the built mentions into stored duplicates, new ones, and repeats of new ones.

    A repeat of a mention earlier in the same list is answered with that mention's id
    once it is inserted, so ``repeats`` maps its position to the earlier response.
    """
    results: dict[int, MentionResult] = {}
    new = []
    repeats: dict[int, storage.NewResponse] = {}
    first_of: dict[tuple[str, str], storage.NewResponse] = {}
    for index, (item, row) in built.items():
        known = next((stored[i] for i in item.identities if i in stored), None)
        earlier = next((first_of[i] for i in item.identities if i in first_of), None)
        if known is not None:
            results[index] = MentionResult(index, services.ItemStatus.DUPLICATE, known)
        elif earlier is not None:
            repeats[index] = earlier
        else:
            first_of.update(dict.fromkeys(item.identities, row))
            new.append((index, item, row))
    return results, new, repeats


def _stored_identities(organisation, items: list[MentionInput]) -> dict[tuple[str, str], int]:
    """Return the response id of every identity of ``items`` already stored (one query)."""
    by_id = [identity for item in items for identity in item.identities if identity[0] == "id"]
    urls = [value for item in items for kind, value in item.identities if kind == "url"]
    if not by_id and not urls:
        return {}
    wanted = Q(public_url__in=urls) if urls else Q(pk__in=[])
    for _kind, value in by_id:
        site, external_id = value.split("\n", 1)
        wanted |= Q(site=site, external_id=external_id)
    found: dict[tuple[str, str], int] = {}
    rows = Mention.objects.for_org(organisation).filter(wanted)
    for site, external_id, url, response_id in rows.values_list(
        "site", "external_id", "public_url", "response_id"
    ):
        if external_id:
            found[("id", f"{site}\n{external_id}")] = response_id
        if url:
            found[("url", url)] = response_id
    return found


def _mention(organisation: Organisation, item: MentionInput, row: storage.NewResponse) -> Mention:
    return Mention(
        organisation=organisation,
        response_id=row.id,
        site=item.site_key,
        author_handle=item.author_handle.strip(),
        public_url=item.public_url.strip(),
        external_id=item.external_id.strip(),
        rating=item.rating,
        rating_worst=item.rating_worst if item.rating is not None else None,
        rating_best=item.rating_best if item.rating is not None else None,
    )
