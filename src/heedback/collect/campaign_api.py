"""The campaigns router: campaigns with their contacts, their counts, and bounces reported."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from heedback.collect import campaigns, invitations, selectors
from heedback.collect.models import Campaign
from heedback.collect.schemas import (
    BounceIn,
    BounceOut,
    CampaignFilters,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    ContactIn,
    ContactsIn,
    ContactsOut,
)
from heedback.core.api_support import requires
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid
from heedback.surveys.models import Survey

router = Router(tags=["campaigns"])


def _contacts(items: list[ContactIn]) -> list[campaigns.ContactInput]:
    return [
        campaigns.ContactInput(
            email=item.email,
            name=item.name,
            external_id=item.external_id,
            unit=str(item.unit) if item.unit is not None else "",
            staff=item.staff,
        )
        for item in items
    ]


def _out(campaign: Campaign, counts: selectors.CampaignCounts | None = None) -> dict:
    counts = counts or selectors.campaign_counts(campaign)
    return {
        "id": campaign.pk,
        "survey": campaign.survey_id,
        "name": campaign.name,
        "subject": campaign.subject,
        "body": campaign.body,
        "send_at": campaign.send_at,
        "reminder_count": campaign.reminder_count,
        "reminder_interval_days": campaign.reminder_interval_days,
        "trigger_kind": campaign.trigger_kind,
        "trigger_delay_minutes": campaign.trigger_delay_minutes,
        "counts": {**counts.__dict__, "response_rate": counts.response_rate},
    }


@router.post("/campaigns", response={201: CampaignOut})
@requires(Permission.WRITE_API)
def create_campaign(request: HttpRequest, payload: CampaignIn):
    """Create a campaign (optionally with its first contacts); nothing is stored if any is bad."""
    organisation = request.api_key.organisation
    survey = get_scoped_or_invalid(Survey, organisation, "survey", pk=payload.survey)
    campaign, _report = campaigns.create_campaign(
        organisation,
        campaigns.CampaignInput(
            survey=survey,
            name=payload.name,
            subject=payload.subject,
            body=payload.body,
            send_at=payload.send_at,
            reminder_count=payload.reminder_count,
            reminder_interval_days=payload.reminder_interval_days,
            trigger_kind=payload.trigger_kind,
            trigger_delay_minutes=payload.trigger_delay_minutes,
        ),
        _contacts(payload.contacts),
    )
    return Status(201, _out(campaign))


@router.get("/campaigns", response=CampaignPage)
@requires(Permission.VIEW)
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]):
    """List campaigns newest first with their funnel (sent, opened, …, response rate), paged."""
    organisation = request.api_key.organisation
    campaigns_found = Campaign.objects.for_org(organisation)
    if filters.survey is not None:
        survey = get_scoped_or_invalid(Survey, organisation, "survey", pk=filters.survey)
        campaigns_found = campaigns_found.filter(survey=survey)
    page = selectors.with_counts(campaigns_found[filters.offset : filters.offset + filters.limit])
    return {
        "count": campaigns_found.count(),
        "limit": filters.limit,
        "offset": filters.offset,
        "results": [_out(campaign, counts) for campaign, counts in page],
    }


@router.get("/campaigns/{campaign_id}", response=CampaignOut)
@requires(Permission.VIEW)
def get_campaign(request: HttpRequest, campaign_id: int):
    """Return a campaign with its counts: sent, opened, started, completed, bounced, …"""
    return _out(get_scoped_or_404(Campaign, request.api_key.organisation, pk=campaign_id))


@router.post("/campaigns/{campaign_id}/contacts", response=ContactsOut)
@requires(Permission.WRITE_API)
def add_contacts(request: HttpRequest, campaign_id: int, payload: ContactsIn):
    """Invite more contacts; a contact already invited to the campaign is not invited again."""
    campaign = get_scoped_or_404(Campaign, request.api_key.organisation, pk=campaign_id)
    report = campaigns.add_contacts(campaign, _contacts(payload.contacts))
    return {
        "created": report.created,
        "already_invited": report.already_invited,
        "customers_created": report.customers_created,
    }


@router.post("/bounces", response=BounceOut)
@requires(Permission.WRITE_API)
def record_bounce(request: HttpRequest, payload: BounceIn):
    """Record a permanent delivery failure (the mail provider's webhook calls this)."""
    count = invitations.record_bounce(request.api_key.organisation, payload.email)
    return {"email": payload.email.strip().lower(), "invitations": count}
