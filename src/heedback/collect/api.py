"""The collect router: responses in (one or a batch) and out, and the public links of a survey."""

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.db.models.functions import Lower
from django.http import Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from ninja import Query, Router, Status

from heedback.collect import exporting, group_commit, selectors, services
from heedback.collect.models import Response
from heedback.collect.schemas import (
    MAX_ID,
    BatchIn,
    BatchOut,
    ExportFilters,
    LinkOut,
    ResponseFilters,
    ResponseIn,
    ResponseItem,
    ResponseOut,
    ResponsePage,
)
from heedback.core.api_lists import parse_item
from heedback.core.api_support import requires, survey_scope
from heedback.core.errors import InvalidInput
from heedback.core.kept import WRITE_TARGETS, KeptRows
from heedback.core.rows import JoinedRowReader, RowReader
from heedback.customers.models import Customer, Interaction
from heedback.customers.selectors import customers_by_external_id, interactions_by_external_id
from heedback.insights.selectors import MetricQuery, responses_in_scope
from heedback.orgs.models import Organisation, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.confidentiality import refuse_individual_responses
from heedback.surveys.models import Survey
from heedback.text.selectors import text_analyses

router = Router(tags=["responses"])


class Directory:
    """The units, staff, customers and interactions a request names, looked up once.

    Only the referenced rows are read, so a request costs the same in an organisation of
    ten units as in one of ten thousand, and a batch costs one query per kind, not per item.
    """

    def __init__(
        self,
        organisation: Organisation,
        payloads: list[ResponseItem],
        *,
        units: dict[int, Unit] | None = None,
    ) -> None:
        """``units``: the payloads' units when the caller has read them already."""
        emails = {payload.staff.strip().lower() for payload in payloads if payload.staff}
        emails = {email for email in emails if "\x00" not in email}  # matches nobody
        if units is None:
            unit_ids = {payload.unit for payload in payloads}
            units = {
                unit.pk: unit for unit in Unit.objects.for_org(organisation).filter(pk__in=unit_ids)
            }
        self.units = units
        self.staff = {}
        if emails:
            members = (
                get_user_model()
                .objects.annotate(email_lower=Lower("email"))
                .filter(memberships__organisation=organisation, email_lower__in=emails)
            )
            self.staff = {user.email.lower(): user for user in members}
        customer_ids = {p.customer.strip() for p in payloads if p.customer and p.customer.strip()}
        interaction_ids = {
            p.interaction.strip() for p in payloads if p.interaction and p.interaction.strip()
        }
        self.customers: dict[str, Customer] = {}
        self.interactions: dict[str, Interaction] = {}
        if customer_ids:
            self.customers = customers_by_external_id(organisation, customer_ids)
        if interaction_ids:
            self.interactions = interactions_by_external_id(organisation, interaction_ids)

    def submission(self, survey: Survey, payload: ResponseItem) -> services.Submission:
        """Turn one validated payload into a Submission, noting unknown references as errors."""
        errors = []
        unit = self.units.get(payload.unit)
        if unit is None:
            errors.append(("unit", "not found"))
            unit = Unit(organisation_id=survey.organisation_id)
        staff = None
        if payload.staff:
            staff = self.staff.get(payload.staff.strip().lower())
            if staff is None:
                errors.append(("staff", "no member with this email"))
        customer = interaction = None
        if payload.customer and payload.customer.strip():
            customer = self.customers.get(payload.customer.strip())
            if customer is None:
                errors.append(("customer", "no customer with this external id"))
        if payload.interaction and payload.interaction.strip():
            interaction = self.interactions.get(payload.interaction.strip())
            if interaction is None:
                errors.append(("interaction", "no interaction with this external id"))
        if errors:
            raise InvalidInput.from_pairs("The response is not valid.", errors)
        return services.Submission(
            survey=survey,
            unit=unit,
            answers=payload.answers,
            idempotency_key=payload.idempotency_key,
            channel=payload.channel,
            submitted_at=payload.submitted_at,
            comment=payload.comment,
            language=payload.language,
            staff=staff,
            external_id=payload.external_id,
            customer=customer,
            interaction=interaction,
        )


def _as_dicts(responses) -> list[dict]:
    """Return responses as the API speaks them, with the text analysis of each (two queries)."""
    responses = list(responses)
    analyses = text_analyses(response.pk for response in responses)
    return [
        {**selectors.response_as_dict(response), "text_analysis": analyses.get(response.pk)}
        for response in responses
    ]


def _stored(response_id: int) -> dict:
    [stored] = _as_dicts(selectors.responses_with_answers(Response.objects.filter(pk=response_id)))
    return stored


# Read on every POST of a response: SQL written once (``core.rows``), scoped like
# ``get_scoped_or_404``, so a foreign organisation's survey reads as a missing one.
_SURVEY_OF_ORGANISATION = RowReader(Survey, "t.id = %s AND t.organisation_id = %s")
# A single response's survey and unit in one query (the unit's columns NULL when the
# organisation has no such unit): a round trip costs more than the rest of the read.
_SURVEY_AND_UNIT = JoinedRowReader(
    Survey,
    Unit,
    on="u.id = %s AND u.organisation_id = t.organisation_id",
    where="t.id = %s AND t.organisation_id = %s",
)
# A survey and a unit read for a single response, kept per process so that posting one
# reads nothing at all before the commit. A survey published, closed or deleted on this
# machine is seen at once (``surveys.services`` and the admin call ``rows_changed``); one
# changed on another machine sharing the database after at most this long. The
# application never moves or deletes a unit (responses protect them); the admin may.
SURVEY_KEEP_SECONDS = 5.0
_KEPT_SURVEYS = KeptRows(WRITE_TARGETS, seconds=SURVEY_KEEP_SECONDS)


def _survey_for_writing(
    organisation: Organisation, survey_id: int, *, unit_id: int | None = None
) -> tuple[Survey, Unit | None]:
    """Return the survey to write to (404 when not the organisation's) and, when asked, a unit.

    The unit is None when the organisation has none with ``unit_id``.
    """
    if not 0 < survey_id <= MAX_ID:
        raise Http404("Not found")
    unit = None
    if unit_id is None:
        survey = _SURVEY_OF_ORGANISATION.first([survey_id, organisation.pk])
    else:
        survey, unit = _survey_and_unit(organisation.pk, survey_id, unit_id)
    if survey is None:
        raise Http404("Not found")
    survey.organisation = organisation  # the same row, already read by the key
    if survey.published_version_id is not None:
        survey.published_version = selectors.frozen_version(survey.published_version_id)
    return survey, unit


def _survey_and_unit(
    organisation_id: int, survey_id: int, unit_id: int
) -> tuple[Survey | None, Unit | None]:
    key = (organisation_id, survey_id, unit_id)
    kept = _KEPT_SURVEYS.get(key)
    if kept is not None:
        return kept  # type: ignore[return-value]
    stamp = _KEPT_SURVEYS.stamp()
    survey, unit = _SURVEY_AND_UNIT.first([unit_id, survey_id, organisation_id])
    if survey is not None and unit is not None:  # refusals are read again: they are rare
        _KEPT_SURVEYS.put(key, (survey, unit), stamp)
    return survey, unit


def store_single(
    organisation: Organisation, survey_id: int, payload: ResponseItem
) -> services.SubmissionResult:
    """Store one posted response through the group committer (what the POST does).

    Shared by the view and the WSGI fast path (``collect.fast_ingest``), so both check
    the same survey, unit, staff, customer and answers, and store the same way.
    """
    try:
        with group_commit.committer().expecting():
            survey, unit = _survey_for_writing(organisation, survey_id, unit_id=payload.unit)
            units = {unit.pk: unit} if unit is not None else {}
            submission = Directory(organisation, [payload], units=units).submission(survey, payload)
            return services.submit_response(submission, grouped=True)
    except DatabaseError:
        # Perhaps a kept row is gone (deleted in the admin): read it again next time.
        _KEPT_SURVEYS.forget((organisation.pk, survey_id, payload.unit))
        raise


def created_body(result: services.SubmissionResult) -> dict:
    """Return the 201 body of a new response, in the shape of ResponseOut, ready to encode.

    Built here rather than validated against ResponseOut, which would cost as much as
    the rest of the answer; the worker has not analysed the text yet. Its times are
    written as Django's JSON encoder writes them, so any encoder gives the same bytes,
    the standard library's own (C) one at a fraction of the cost.
    """
    if result.row is not None and result.submission is not None:
        submission = result.submission
        body = selectors.new_response_as_dict(
            result.row, submission.survey.published_version, submission.staff
        )
    else:
        body = selectors.response_as_dict(result.response, result.answers)
    for name in ("submitted_at", "received_at"):
        body[name] = _TIMES.default(body[name])
    body["text_analysis"] = None
    return body


_TIMES = DjangoJSONEncoder()


@router.post("/surveys/{survey_id}/responses", response={200: ResponseOut, 201: ResponseOut})
@requires(Permission.WRITE_API, survey_keys=True)
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn):
    """Store a response; a repeat of the same ``idempotency_key`` returns the first one (200).

    201 means the response is committed. Concurrent requests share a commit (group commit).
    """
    result = store_single(request.organisation, survey_id, payload)
    if result.created:
        # Encoded as ninja would (DjangoJSONEncoder), as ``collect.fast_ingest`` does too.
        return JsonResponse(created_body(result), status=201)
    return Status(200, _stored(result.response.pk))


@router.post("/surveys/{survey_id}/responses/batch", response=BatchOut)
@requires(Permission.WRITE_API, survey_keys=True)
def submit_batch(request: HttpRequest, survey_id: int, payload: BatchIn):
    """Store up to 1,000 responses; each item is created, a duplicate, or invalid with errors.

    Items are independent: an invalid item never stops the others, and an item is stored
    whole or not at all. Send the batch again after a network failure: items already
    stored come back as duplicates.
    """
    survey, _unit = _survey_for_writing(request.organisation, survey_id)
    parsed: list[ResponseItem | InvalidInput] = []
    for raw in payload.items:
        try:
            parsed.append(parse_item(ResponseItem, raw, "The response is not valid."))
        except InvalidInput as error:
            parsed.append(error)
    directory = Directory(
        request.organisation, [item for item in parsed if isinstance(item, ResponseItem)]
    )
    items: list = []
    for item in parsed:
        try:
            items.append(
                item if isinstance(item, InvalidInput) else directory.submission(survey, item)
            )
        except InvalidInput as error:
            items.append(error)
    results = services.submit_batch(survey, items)
    counts = {status: 0 for status in ("created", "duplicate", "invalid")}
    for result in results:
        counts[result.status] += 1
    body = {
        **counts,
        "results": [
            {"index": r.index, "status": r.status, "id": r.response_id, "errors": r.errors}
            for r in results
        ],
    }
    # Built here in the shape of BatchOut; validating a thousand results against it again
    # would cost as much as storing them.
    return JsonResponse(body)


@router.get("/surveys/{survey_id}/responses", response=ResponsePage)
@requires(Permission.VIEW, survey_keys=True)
def list_responses(request: HttpRequest, survey_id: int, filters: Query[ResponseFilters]):
    """List responses newest first, filtered by unit subtree, channel and period (paged)."""
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=survey_id)
    refuse_individual_responses(survey)
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    query = MetricQuery(
        organisation=organisation,
        survey=survey,
        metric="count",
        unit=unit,
        date_from=filters.from_,
        date_to=filters.to,
    )
    responses = responses_in_scope(query)
    if filters.channel:
        responses = responses.filter(channel=filters.channel)
    page = selectors.responses_with_answers(
        responses.order_by("-submitted_at", "-id")[filters.offset : filters.offset + filters.limit]
    )
    return {
        "count": responses.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": _as_dicts(page),
    }


@router.get("/responses/{response_id}", response=ResponseOut)
@requires(Permission.VIEW, survey_keys=True)
def get_response(request: HttpRequest, response_id: int):
    queryset = selectors.responses_with_answers(Response.objects.select_related("survey"))
    if (survey_id := survey_scope(request)) is not None:
        queryset = queryset.filter(survey_id=survey_id)
    response = get_scoped_or_404(queryset, request.organisation, pk=response_id)
    refuse_individual_responses(response.survey)
    return _as_dicts([response])[0]


@router.get("/surveys/{survey_id}/links", response=list[LinkOut])
@requires(Permission.VIEW, survey_keys=True)
def list_links(request: HttpRequest, survey_id: int):
    """List the public link of every unit (links exist once the survey is published)."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    links = survey.links.select_related("unit").order_by("unit__path")
    return [
        {
            "unit": link.unit_id,
            "unit_name": link.unit.name,
            "token": link.token,
            "short_code": link.short_code,
            "url": request.build_absolute_uri(reverse("respond", args=[link.token])),
            "is_active": link.is_active,
        }
        for link in links
    ]


@router.get(
    "/surveys/{survey_id}/export",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "The responses as a file, one row per response.",
                "content": {media: {} for media in exporting.EXPORT_FORMATS.values()},
            }
        }
    },
)
@requires(Permission.VIEW, survey_keys=True)
def export_responses(request: HttpRequest, survey_id: int, filters: Query[ExportFilters]):
    """Stream a survey's responses as CSV, XLSX or Parquet, filtered like the results page.

    One row per response: id, submitted_at (ISO, the organisation's time zone), unit,
    unit_id, channel, staff, external_id, one column per question key, comment. Cells a
    spreadsheet would run as a formula are prefixed with ' in CSV and XLSX.
    """
    organisation = request.organisation
    survey = get_scoped_or_404(Survey, organisation, pk=survey_id)
    unit = None
    if filters.unit is not None:
        unit = get_scoped_or_invalid(Unit, organisation, "unit", pk=filters.unit)
    query = exporting.ExportQuery(
        organisation=organisation,
        survey=survey,
        date_from=filters.from_,
        date_to=filters.to,
        unit=unit,
        channel=filters.channel or None,
    )
    download = exporting.start_export(
        query, filters.format, actor=None, via="api", api_key=request.api_key.name
    )
    response = StreamingHttpResponse(download.chunks, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    response["X-Export-Rows"] = str(download.rows)
    return response
