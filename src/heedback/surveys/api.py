"""The surveys router: templates, survey definitions and publishing."""

from django.http import HttpRequest
from ninja import Router, Status

from heedback.collect.services import publish_and_open_links
from heedback.core.api_support import requires
from heedback.orgs.permissions import Permission
from heedback.orgs.tenancy import get_scoped_or_404
from heedback.surveys import selectors, services
from heedback.surveys.builtin_templates import TEMPLATES
from heedback.surveys.models import Survey
from heedback.surveys.schemas import (
    DraftIn,
    PublishOut,
    SurveyIn,
    SurveyOut,
    SurveySummaryOut,
    TemplateOut,
)

router = Router(tags=["surveys"])


def _detail(survey: Survey) -> dict:
    draft = services.draft_of(survey)
    published = survey.published_version
    current = published or draft
    return {
        **selectors.survey_summary(survey),
        "draft_version": draft.number,
        "question_keys": [question["key"] for question in current.definition["questions"]],
        "definition": current.definition,
        "draft_definition": draft.definition,
    }


@router.get("/templates", response=list[TemplateOut])
@requires(Permission.VIEW)
def list_templates(request: HttpRequest):
    """List the built-in templates; create a survey from one with ``{"template": KEY}``."""
    return [
        {
            "key": t.key,
            "name": str(t.name),
            "description": str(t.description),
            "kind": t.kind,
            "definition": t.definition,
        }
        for t in TEMPLATES.values()
    ]


@router.get("/surveys", response=list[SurveySummaryOut])
@requires(Permission.VIEW)
def list_surveys(request: HttpRequest):
    return [
        selectors.survey_summary(survey) for survey in selectors.surveys_of(request.organisation)
    ]


@router.post("/surveys", response={201: SurveyOut})
@requires(Permission.WRITE_API)
def create_survey(request: HttpRequest, payload: SurveyIn):
    """Create a draft survey from ``{"template": KEY, "name": ...}`` or a full definition."""
    if payload.template is not None:
        survey = services.create_survey_from_template(
            request.organisation, template_key=payload.template, name=payload.name
        )
    else:
        survey = services.create_survey(
            request.organisation, name=payload.name, definition=payload.definition
        )
    return Status(201, _detail(survey))


@router.get("/surveys/{survey_id}", response=SurveyOut)
@requires(Permission.VIEW, survey_keys=True)
def get_survey(request: HttpRequest, survey_id: int):
    """Return the survey with its question keys (of the published version, else the draft)."""
    return _detail(get_scoped_or_404(Survey, request.organisation, pk=survey_id))


@router.put("/surveys/{survey_id}/draft", response=SurveyOut)
@requires(Permission.WRITE_API)
def save_draft(request: HttpRequest, survey_id: int, payload: DraftIn):
    """Replace the draft definition; a published version is never changed, a new draft opens."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    services.save_draft(survey, payload.definition, name=payload.name)
    survey.refresh_from_db()
    return _detail(survey)


@router.post("/surveys/{survey_id}/publish", response=PublishOut)
@requires(Permission.WRITE_API)
def publish_survey(request: HttpRequest, survey_id: int):
    """Freeze the draft as the version respondents answer (repeating it changes nothing)."""
    survey = get_scoped_or_404(Survey, request.organisation, pk=survey_id)
    version = publish_and_open_links(survey)
    return {
        "id": survey.pk,
        "status": "published",
        "version": version.number,
        "published_at": version.published_at,
    }
