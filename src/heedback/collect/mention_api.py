"""The mentions router: public reviews and social posts sent by connectors (webhook style)."""

from django.http import HttpRequest
from ninja import Body, Router, Status

from heedback.collect import mentions
from heedback.collect.models import Mention
from heedback.collect.schemas import MentionBatchOut, MentionIn, MentionOut
from heedback.core.api_lists import (
    OneOrMany,
    check_list_size,
    list_body,
    one_or_many_openapi,
    parse_item,
)
from heedback.core.api_support import requires
from heedback.core.errors import InvalidInput, ServiceError
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.permissions import Permission

router = Router(tags=["mentions"])
INVALID = "The mention is not valid."


def _inputs(organisation: Organisation, raw_items: list) -> list:
    """Parse each item on its own, then find the units they name with one query."""
    parsed: list = []
    for raw in raw_items:
        try:
            parsed.append(parse_item(MentionIn, raw, INVALID))
        except ServiceError as error:
            parsed.append(error)
    unit_ids = {item.unit for item in parsed if isinstance(item, MentionIn) and item.unit}
    units = {unit.pk: unit for unit in Unit.objects.for_org(organisation).filter(pk__in=unit_ids)}
    inputs: list = []
    for item in parsed:
        if isinstance(item, ServiceError):
            inputs.append(item)
        elif item.unit is not None and item.unit not in units:
            inputs.append(InvalidInput.from_pairs(INVALID, [("unit", "not found")]))
        else:
            values = item.model_dump(exclude={"unit", "customer"})
            inputs.append(
                mentions.MentionInput(
                    **values, unit=units.get(item.unit), customer_external_id=item.customer
                )
            )
    return inputs


def _body(mention: Mention) -> dict:
    response = mention.response
    rating = next((a.number for a in response.answers.all()), None)
    return {
        "id": response.pk,
        "survey": response.survey_id,
        "unit": response.unit_id,
        "channel": response.channel,
        "site": mention.site,
        "author_handle": mention.author_handle,
        "public_url": mention.public_url,
        "external_id": mention.external_id,
        "rating": mention.rating,
        "rating_worst": mention.rating_worst,
        "rating_best": mention.rating_best,
        "inbox_rating": rating,
        "text": response.comment,
        "posted_at": response.submitted_at,
        "customer": response.customer_id,
    }


@router.post(
    "/mentions",
    response={200: MentionOut | MentionBatchOut, 201: MentionOut},
    openapi_extra=one_or_many_openapi(MentionIn),
)
@requires(Permission.WRITE_API)
def ingest_mentions(request: HttpRequest, payload: Body[OneOrMany]):
    """Take public reviews and social posts: one object or a list of up to 1,000.

    Each is stored as a response (channel ``review`` or ``social``) of the organisation's
    "Public reviews and mentions" survey, its rating put on that survey's 1–5 scale. A
    post already sent (same site and ``external_id``, or same ``public_url``) is a
    duplicate. One object answers 201 with the mention, 200 with the stored one for a
    repeat, 422 with field errors; a list answers 200 with each item's fate (created,
    duplicate with the stored id, invalid with its errors), items independent.

    A post whose author is a known customer (``customer``, ``author_email``, or a handle
    tied to them by an earlier mention on the site) is theirs: it shows on their timeline.
    """
    organisation = request.organisation
    if isinstance(payload, dict):
        [result] = mentions.ingest_mentions(organisation, _inputs(organisation, [payload]))
        if result.status == "invalid":
            raise InvalidInput(INVALID, errors=result.errors)
        stored = (
            Mention.objects.select_related("response")
            .prefetch_related("response__answers")
            .get(response_id=result.response_id)
        )
        return Status(201 if result.status == "created" else 200, _body(stored))
    check_list_size(payload)
    results = mentions.ingest_mentions(organisation, _inputs(organisation, payload))
    return list_body(results, ("created", "duplicate", "invalid"))
