"""Tests of the demo seed: exact counts, valid answers, believable patterns, idempotence."""

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from io import StringIO
from statistics import mean
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from heedback.collect.models import Answer, Response, SurveyLink
from heedback.collect.services import answer_value
from heedback.core.errors import InvalidInput
from heedback.demo.comments import URGENT_SENTENCES, CommentWriter, all_fragments
from heedback.demo.seed import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    NEW_MANAGER_DAY,
    DemoRefused,
    seed_demo,
)
from heedback.orgs.models import AuditEvent, Membership, Organisation, Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.services import create_organisation
from heedback.surveys.definition import clean_answers
from heedback.surveys.models import Survey
from tests.test_access_policy import PAGE_POLICY, named_routes

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 30)
LONDON = ZoneInfo("Europe/London")
EXPECTED_PER_SURVEY = {
    "hotel_stay": 338,
    "post_service": 158,
    "ten_domains": 45,
    "business_review": 23,
    "employee_pulse": 36,
    "win_back": 0,
}
# On top of the responses asked for: six staff of each of the five hotels, in two rounds.
SELF_ASSESSMENTS = 60


@pytest.fixture
def demo():
    return seed_demo(responses=600, seed=7, today=TODAY)


def table_sizes() -> dict[str, int]:
    return {
        "organisations": Organisation.objects.count(),
        "units": Unit.objects.count(),
        "users": get_user_model().objects.count(),
        "memberships": Membership.objects.count(),
        "surveys": Survey.objects.count(),
        "responses": Response.objects.count(),
        "answers": Answer.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def nps_answers(unit_name: str):
    unit = Unit.objects.get(name=unit_name)
    return Answer.objects.filter(
        question_key="nps", response__unit__path__startswith=unit.path
    ).select_related("response")


def test_seed_demo_creates_exactly_what_it_describes(demo):
    organisation = Organisation.objects.get()
    assert (organisation.slug, organisation.name, organisation.time_zone) == (
        "demo",
        "Harbour Hotels",
        "Europe/London",
    )
    assert demo.created is True
    assert demo.response_count == 600 + SELF_ASSESSMENTS
    assert Response.objects.count() == 600 + SELF_ASSESSMENTS
    per_survey = Counter(Response.objects.values_list("survey__template_key", flat=True))
    assert {key: per_survey[key] for key in EXPECTED_PER_SURVEY} == EXPECTED_PER_SURVEY
    assert per_survey["self_assessment"] == SELF_ASSESSMENTS
    kinds = Counter(Unit.objects.values_list("kind", flat=True))
    assert kinds == {"company": 1, "region": 2, "location": 5, "department": 15}
    roles = Counter(Membership.objects.values_list("role", flat=True))
    assert roles == {"owner": 1, "admin": 1, "analyst": 1, "manager": 7, "frontline": 30}
    assert len(demo.users) == 40
    assert all(user.email.endswith("@heedback.local") for user in demo.users)
    statuses = {survey.name: survey.status for survey in demo.surveys}
    assert statuses == {
        "Hotel stay card": "published",
        "After your service request": "published",
        "Guest satisfaction — ten domains": "published",
        "Corporate client review": "published",
        "Staff pulse": "published",
        "Win back a lapsed guest": "draft",
        "Service self-assessment": "published",
    }


def test_demo_logins_work_with_the_demo_password(demo):
    assert (demo.email, demo.password) == (DEMO_EMAIL, DEMO_PASSWORD)
    owner = authenticate(username=DEMO_EMAIL, password=DEMO_PASSWORD)
    assert owner is not None
    assert Membership.objects.get(user=owner).role == "owner"
    frontline = Membership.objects.filter(role="frontline").select_related("user").first()
    assert authenticate(username=frontline.user.username, password=DEMO_PASSWORD) is not None


def test_every_response_is_well_formed_and_dated_in_the_last_year(demo):
    first = datetime.combine(TODAY - timedelta(days=365), time(0), tzinfo=LONDON)
    end = datetime.combine(TODAY, time(0), tzinfo=LONDON)
    links = {(link.survey_id, link.unit_id): link.pk for link in SurveyLink.objects.all()}
    keys = set()
    for response in Response.objects.select_related("survey"):
        assert first <= response.submitted_at < end
        assert response.submitted_at <= response.received_at <= end
        assert response.version_id == response.survey.published_version_id
        assert response.link_id == links[(response.survey_id, response.unit_id)]
        keys.add(response.idempotency_key)
    assert keys == {f"demo-{number}" for number in range(1, 601 + SELF_ASSESSMENTS)}


def test_every_answer_is_valid_against_its_version(demo):
    responses = Response.objects.select_related("version").prefetch_related("answers")
    for response in responses:
        definition = response.version.parsed()
        raw = {
            answer.question_key: answer_value(definition.question(answer.question_key), answer)
            for answer in response.answers.all()
        }
        cleaned = clean_answers(definition, raw)
        assert cleaned.errors == [], (response.idempotency_key, raw)
        assert cleaned.values == raw


def test_the_best_hotel_scores_higher_than_the_struggling_one(demo):
    york = [answer.number for answer in nps_answers("Harbour Hotel York")]
    brighton = [answer.number for answer in nps_answers("Harbour Hotel Brighton")]
    assert len(york) > 30
    assert len(brighton) > 30
    assert mean(york) > mean(brighton) + 1


def test_the_improving_hotel_ends_the_year_better_than_it_began(demo):
    start = datetime.combine(TODAY - timedelta(days=365), time(0), tzinfo=LONDON)
    quarters: dict[int, list[int]] = {0: [], 3: []}
    for answer in nps_answers("Harbour Hotel Leeds"):
        quarter = min((answer.response.submitted_at - start).days // 91, 3)
        quarters.setdefault(quarter, []).append(answer.number)
    assert len(quarters[0]) > 10
    assert len(quarters[3]) > 10
    assert mean(quarters[3]) > mean(quarters[0]) + 1
    new_manager = Membership.objects.get(user__email="manager.leeds@heedback.local")
    assert (new_manager.created_at.date() - start.date()).days == NEW_MANAGER_DAY


def test_about_a_third_comment_and_comments_rarely_repeat(demo):
    comments = list(Answer.objects.filter(question_key="comment").values_list("text", flat=True))
    assert 0.25 * 600 <= len(comments) <= 0.45 * 600
    assert len(set(comments)) >= 0.8 * len(comments)
    assert len(all_fragments()) >= 150


def test_comments_follow_the_scores(demo):
    scores = dict(Answer.objects.filter(question_key="nps").values_list("response_id", "number"))
    for response_id, text in Answer.objects.filter(question_key="comment").values_list(
        "response_id", "text"
    ):
        if any(sentence in text for sentence in URGENT_SENTENCES):
            assert scores[response_id] <= 4


def test_a_happy_guest_never_writes_an_urgent_complaint():
    writer = CommentWriter(random.Random(1))
    names = {"desk": "Sophie", "housekeeper": "Marta", "waiter": "Luca", "city": "York"}
    for _ in range(200):
        text = writer.stay(
            tone="positive", perceptions={}, topic_weights={}, names=names, is_urgent=True
        )
        assert not any(sentence in text for sentence in URGENT_SENTENCES)


def test_the_same_seed_gives_the_same_data():
    def snapshot():
        return sorted(
            Answer.objects.values_list(
                "response__idempotency_key",
                "response__unit__name",
                "response__submitted_at",
                "response__channel",
                "question_key",
                "number",
                "text",
            )
        ), sorted(get_user_model().objects.values_list("email", flat=True))

    with transaction.atomic():
        seed_demo(responses=80, seed=3, today=TODAY)
        first = snapshot()
        transaction.set_rollback(True)
    assert not Organisation.objects.exists()
    seed_demo(responses=80, seed=3, today=TODAY)
    assert snapshot() == first


def test_seeding_twice_changes_nothing(demo):
    before = table_sizes()
    again = seed_demo(responses=50, today=TODAY)
    assert again.created is False
    assert again.response_count == 600 + SELF_ASSESSMENTS
    assert table_sizes() == before


def test_seeding_refuses_beside_other_organisations_and_writes_nothing():
    create_organisation(name="Acme", slug="acme")
    before = table_sizes()
    with pytest.raises(DemoRefused, match="--force"):
        seed_demo(responses=20, today=TODAY)
    assert table_sizes() == before


def test_force_adds_the_demo_beside_other_organisations():
    acme = create_organisation(name="Acme", slug="acme")
    summary = seed_demo(responses=30, force=True, today=TODAY)
    assert summary.created is True
    assert Organisation.objects.count() == 2
    demo_responses = Response.objects.filter(organisation=summary.organisation)
    assert demo_responses.count() == 30 + SELF_ASSESSMENTS
    assert not Response.objects.filter(organisation=acme).exists()


def test_a_negative_number_of_responses_is_refused():
    with pytest.raises(InvalidInput):
        seed_demo(responses=-1, today=TODAY)
    assert not Organisation.objects.exists()


def test_the_command_seeds_and_prints_the_demo_login():
    out, err = StringIO(), StringIO()
    call_command("seed_demo", "--responses", "40", "--seed", "5", stdout=out, stderr=err)
    assert "Created the demo organisation" in out.getvalue()
    assert f"Log in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}" in out.getvalue()
    assert "manager.leeds@heedback.local" in out.getvalue()
    assert "] 40/40" in err.getvalue()
    assert Response.objects.count() == 40 + SELF_ASSESSMENTS


def test_the_command_says_so_when_the_demo_exists(demo):
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    assert "exists already; nothing was changed" in out.getvalue()
    assert f"Log in as {DEMO_EMAIL}" in out.getvalue()
    assert Response.objects.count() == 600 + SELF_ASSESSMENTS


def test_the_command_refuses_beside_other_organisations_unless_forced():
    create_organisation(name="Acme", slug="acme")
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", "--responses", "10", stdout=StringIO(), stderr=StringIO())
    assert Organisation.objects.count() == 1
    call_command("seed_demo", "--responses", "10", "--force", stdout=StringIO(), stderr=StringIO())
    assert Organisation.objects.count() == 2
    assert Response.objects.count() == 10 + SELF_ASSESSMENTS


def test_staff_think_better_of_their_timeliness_than_guests_do(demo):
    from heedback.insights.gap_selectors import GapQuery, perception_gap

    result = perception_gap(GapQuery(organisation=Organisation.objects.get()))
    timeliness = next(cell for cell in result.total if cell.domain == "timeliness")
    assert timeliness.staff.n == SELF_ASSESSMENTS
    assert timeliness.gap > 15
    assert timeliness.is_significant
    assert len(result.units) == 5


def test_every_page_of_the_demo_answers_for_the_demo_owner(demo):
    """Every staff page that needs no object id renders on the demo's real, varied data."""
    owner = get_user_model().objects.get(email=DEMO_EMAIL)
    client = Client()
    client.force_login(owner)
    pages = [
        name
        for name, pattern in named_routes()
        if isinstance(PAGE_POLICY[name][0], Permission)
        and PAGE_POLICY[name][1] == "GET"
        and set(pattern.pattern.converters) == set()
    ]
    assert len(pages) >= 30
    failures = {}
    for name in pages:
        url = reverse(name, kwargs={"org_slug": "demo"})
        status = client.get(url).status_code
        if status != 200:
            failures[url] = status
    assert failures == {}
