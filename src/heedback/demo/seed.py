"""Seed a believable demo organisation: Harbour Hotels, a small UK hotel group.

The data is generated, but from a model of how guests actually answer, so every page of the
product has something true to find:

- each hotel has its own level of service: York is clearly the best, Brighton is struggling,
  and Leeds turns around after a new manager starts about a hundred days into the year;
- a guest has a latent experience of each domain of satisfaction (the hotel's level, a halo
  shared by all domains, and noise of its own); every rating they give is that perception on
  a 1–5 scale, and their recommendation score is a weighted sum of the perceptions, with
  cleanliness (environment) and staff (front-line behaviours) weighing most, so a driver
  analysis finds them;
- volume follows the seasons (summer is busy, seaside hotels most) and the days of the week,
  and a busy season makes guests wait longer;
- staff answer a monthly pulse whose engagement follows their hotel (the service-profit chain);
- about a third of respondents comment, in words that agree with their scores.

Everything is drawn from one ``random.Random(seed)``: the same seed and ``today`` give the
same data. Responses are written with ``bulk_create`` in batches of a thousand, inside one
transaction, so an interrupted run leaves nothing behind.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from heedback.collect.choices import Channel
from heedback.collect.models import Answer, Response, SurveyLink
from heedback.collect.services import answer_row, local_date_of, publish_and_open_links
from heedback.core.errors import Conflict, InvalidInput
from heedback.demo.comments import CommentWriter, tone_of
from heedback.onboarding import create_organisation
from heedback.orgs.choices import Role, UnitKind
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.orgs.selectors import root_unit
from heedback.orgs.services import add_member, create_unit, create_user
from heedback.surveys.definition import Question, SurveyDefinition, clean_answers
from heedback.surveys.domains import DEFAULT_DOMAINS
from heedback.surveys.models import Survey, SurveyVersion
from heedback.surveys.services import create_survey_from_template, seed_default_domains

DEMO_SLUG = "demo"
DEMO_NAME = "Harbour Hotels"
DEMO_TIME_ZONE = "Europe/London"
DEMO_EMAIL = "demo@heedback.local"
DEMO_PASSWORD = "demo-heedback"  # noqa: S105 - a published demo login, not a secret
EMAIL_DOMAIN = "heedback.local"
DEFAULT_RESPONSES = 20_000
DEFAULT_SEED = 7
BATCH_SIZE = 1_000
WINDOW_DAYS = 365
# The Leeds turnaround: the new manager starts on this day of the year and the hotel's
# level rises smoothly over the following IMPROVEMENT_DAYS.
NEW_MANAGER_DAY = 100
IMPROVEMENT_DAYS = 120

DOMAIN_KEYS = tuple(domain.key for domain in DEFAULT_DOMAINS)

# --- the response model ---------------------------------------------------------------------

# How much each domain weighs in a guest's overall judgement (they sum to 1).
DRIVER_WEIGHTS = {
    "environment": 0.22,
    "frontline_behaviours": 0.22,
    "quality": 0.12,
    "value": 0.10,
    "timeliness": 0.09,
    "efficiency": 0.07,
    "commitment": 0.07,
    "ease_of_access": 0.04,
    "teamwork": 0.04,
    "innovation": 0.03,
}
# Corporate clients judge the account team on fewer things.
BUSINESS_WEIGHTS = {
    "commitment": 0.3,
    "frontline_behaviours": 0.25,
    "ease_of_access": 0.25,
    "timeliness": 0.2,
}
# Where guests start on each domain in an average hotel: staff are rated higher than value.
DOMAIN_MEANS = {
    "quality": 0.1,
    "value": -0.3,
    "timeliness": 0.0,
    "efficiency": 0.05,
    "ease_of_access": 0.1,
    "environment": 0.15,
    "teamwork": -0.1,
    "frontline_behaviours": 0.35,
    "commitment": 0.0,
    "innovation": -0.35,
}
# How a busy season (0 to 1) lowers a domain: queues at check-in, rushed housekeeping.
BUSY_EFFECTS = {"timeliness": 0.45, "efficiency": 0.2, "environment": 0.1}
HALO = 0.6  # the share of a guest's mood that colours every domain alike
UNIQUE = 0.8  # the spread of each domain's own experience
OVERALL_NOISE = 0.35
RATING_CUTS = (-1.9, -1.15, -0.4, 0.5)  # latent thresholds between 1|2, 2|3, 3|4 and 4|5
NPS_CENTRE = 8.1
NPS_SPREAD = 2.6
ENPS_CENTRE = 7.4
ENPS_SPREAD = 2.4
# Who comments: detractors most, passives least; about 35% overall.
COMMENT_CHANCE = {"positive": 0.33, "mixed": 0.26, "negative": 0.52}
URGENT_CHANCE = 0.12  # of comments by guests who answered 0–4
STAFF_COMMENT_CHANCE = 0.3
SKIP_CHANCE = {"innovation": 0.1, "teamwork": 0.08}  # ten-domain ratings left blank
DEFAULT_SKIP_CHANCE = 0.04
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class HotelProfile:
    """One hotel of the group and how its guests experience it."""

    city: str
    region: str
    manager: str
    level: float  # 0 is the group's average hotel
    volume: float  # relative number of guests
    seasonality: float  # how much busier summer is than the year's average
    improvement: float = 0.0  # how much the level rises after a new manager starts
    domain_offsets: Mapping[str, float] = field(default_factory=dict)
    department_offsets: Mapping[str, float] = field(default_factory=dict)
    staff_offsets: Mapping[str, float] = field(default_factory=dict)
    topic_weights: Mapping[str, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"Harbour Hotel {self.city}"

    def progress_on(self, day: int) -> float:
        """Return how far (0 to 1) the hotel's turnaround has come on ``day`` of the year."""
        if not self.improvement:
            return 0.0
        share = min(max((day - NEW_MANAGER_DAY) / IMPROVEMENT_DAYS, 0.0), 1.0)
        return share * share * (3 - 2 * share)

    def level_on(self, day: int) -> float:
        """Return the hotel's level of service on ``day`` (0 is the first day of the year)."""
        return self.level + self.improvement * self.progress_on(day)


REGIONS = ("North", "South")
REGION_MANAGERS = {"North": "Fiona Campbell", "South": "David Okafor"}
REGION_LEVELS = {"North": 0.25, "South": -0.2}  # of their corporate account teams
REGION_VOLUMES = {"North": 0.55, "South": 0.45}
DEPARTMENTS = ("Front desk", "Housekeeping", "Restaurant")
DEPARTMENT_SHARES = (0.45, 0.35, 0.20)  # of service requests
DEPARTMENT_OFFSETS = {"Front desk": 0.0, "Housekeeping": -0.1, "Restaurant": 0.1}
DEPARTMENT_HEADCOUNT = {"Front desk": 8, "Housekeeping": 12, "Restaurant": 10}
STAFF_LOGINS_PER_DEPARTMENT = 2

HOTELS: tuple[HotelProfile, ...] = (
    HotelProfile(
        city="Leeds",
        region="North",
        manager="Priya Shah",
        level=-0.45,
        improvement=0.85,
        volume=1.2,
        seasonality=0.15,
        domain_offsets={"timeliness": -0.25},
        department_offsets={"Front desk": -0.25},
        topic_weights={"parking": 2.0, "checkin": 2.2},
    ),
    HotelProfile(
        city="York",
        region="North",
        manager="James Whitaker",
        level=0.6,
        volume=1.0,
        seasonality=0.35,
        domain_offsets={"quality": 0.2, "commitment": 0.2},
        department_offsets={"Restaurant": 0.2},
        staff_offsets={"authority": 0.4, "recognition": 0.3, "training": 0.2},
        topic_weights={"breakfast": 2.0, "named_staff": 2.0, "location": 1.5},
    ),
    HotelProfile(
        city="Whitby",
        region="North",
        manager="Megan Hughes",
        level=0.15,
        volume=0.6,
        seasonality=0.7,
        domain_offsets={"ease_of_access": -0.4},
        topic_weights={"wifi": 2.5, "view": 1.5, "parking": 1.2},
    ),
    HotelProfile(
        city="Brighton",
        region="South",
        manager="Simon Clarke",
        level=-0.45,
        volume=1.3,
        seasonality=0.5,
        domain_offsets={"environment": -0.35, "teamwork": -0.2},
        department_offsets={"Housekeeping": -0.35},
        staff_offsets={"authority": -0.45, "training": -0.35, "tools": -0.2},
        topic_weights={"noise": 3.0, "cleanliness": 2.0, "view": 1.0},
    ),
    HotelProfile(
        city="Bath",
        region="South",
        manager="Hannah Lewis",
        level=0.25,
        volume=0.9,
        seasonality=0.3,
        domain_offsets={"value": -0.35},
        topic_weights={"value": 2.0, "spa": 1.5},
    ),
)
IMPROVING_HOTEL = "Leeds"
BEST_HOTEL = "York"
STRUGGLING_HOTEL = "Brighton"

LEADERS = (
    ("demo", "Claire Bennett", Role.OWNER),
    ("admin", "Tom Fletcher", Role.ADMIN),
    ("analyst", "Aisha Rahman", Role.ANALYST),
)
FIRST_NAMES = (
    "Sophie", "Oliver", "Amelia", "Jack", "Olivia", "Harry", "Emily", "George", "Isla",
    "Noah", "Ava", "Mohammed", "Grace", "Oscar", "Chloe", "Leo", "Ella", "Arthur", "Freya",
    "Charlie", "Zara", "Kieran", "Niamh", "Callum", "Rhiannon", "Dylan", "Aisling", "Ewan",
    "Kasia", "Tomasz", "Marta", "Luca", "Giulia", "Ana", "Mateus", "Ravi", "Anjali", "Kwame",
    "Abena", "Ying", "Wei", "Fatima", "Yusuf", "Ellie", "Josh", "Bethany", "Ryan", "Lauren",
    "Nathan", "Jade",
)  # fmt: skip
LAST_NAMES = (
    "Turner", "Walsh", "Patel", "Evans", "Robinson", "Wright", "Wood", "Thompson", "Kaur",
    "Ahmed", "Nowak", "Kowalski", "Rossi", "Silva", "Santos", "O'Connor", "Murphy", "Kelly",
    "Byrne", "Jones", "Davies", "Taylor", "Brown", "Wilson", "Johnson", "Green", "Hall",
    "Mensah", "Okoye", "Chen", "Wong", "Ali", "Hussain", "Begum", "Shaw", "Lloyd", "Price",
    "Morgan", "Bailey", "Cooper", "Ward", "Fox", "Marsh", "Knight", "Barker", "Harrison",
    "Mitchell", "Pearson",
)  # fmt: skip


@dataclass(frozen=True)
class SurveySpec:
    """A survey of the demo: its template, how it is answered, and where."""

    template_key: str
    name: str
    share: float = 0.0  # of the customer responses; the staff pulse is counted apart
    level: str = "hotel"  # hotel, department or region: the units it is answered for
    weekdays: tuple[float, ...] = (1, 1, 1, 1, 1, 1, 1)  # Monday first
    hours: tuple[float, ...] = ()  # 24 weights; empty means 8:00 to 22:00 evenly
    channels: Mapping[str, float] = field(default_factory=dict)
    is_published: bool = True


def _hours(*spans: tuple[int, int, float]) -> tuple[float, ...]:
    weights = [0.05] * 24
    for start, end, weight in spans:
        for hour in range(start, end):
            weights[hour] = weight
    return tuple(weights)


SURVEYS: tuple[SurveySpec, ...] = (
    SurveySpec(
        "hotel_stay",
        "Hotel stay card",
        share=0.60,
        weekdays=(1.1, 0.8, 0.85, 0.9, 1.1, 1.2, 1.35),  # check-outs after weekends
        hours=_hours((6, 7, 0.5), (7, 11, 3.0), (11, 17, 0.8), (17, 23, 1.5), (23, 24, 0.3)),
        channels={
            Channel.QR: 0.33,
            Channel.EMAIL: 0.28,
            Channel.WEB: 0.15,
            Channel.PAPER: 0.14,
            Channel.KIOSK: 0.10,
        },
    ),
    SurveySpec(
        "post_service",
        "After your service request",
        share=0.28,
        level="department",
        weekdays=(1.0, 0.95, 0.95, 1.0, 1.05, 1.15, 1.15),
        hours=_hours((7, 10, 1.2), (10, 18, 1.0), (18, 23, 1.4)),
        channels={
            Channel.EMAIL: 0.42,
            Channel.WEB: 0.2,
            Channel.QR: 0.14,
            Channel.PHONE: 0.14,
            Channel.KIOSK: 0.05,
            Channel.PAPER: 0.05,
        },
    ),
    SurveySpec(
        "ten_domains",
        "Guest satisfaction — ten domains",
        share=0.08,
        weekdays=(0.8, 1.6, 1.3, 1.0, 0.8, 0.5, 0.6),  # emailed on Tuesdays
        hours=_hours((7, 9, 1.0), (9, 13, 1.6), (13, 18, 1.0), (18, 23, 1.3)),
        channels={Channel.EMAIL: 0.8, Channel.WEB: 0.2},
    ),
    SurveySpec(
        "business_review",
        "Corporate client review",
        share=0.04,
        level="region",
        weekdays=(1.0, 1.1, 1.1, 1.0, 0.8, 0.05, 0.05),
        hours=_hours((8, 18, 1.0)),
        channels={Channel.EMAIL: 0.9, Channel.WEB: 0.1},
    ),
    SurveySpec(
        "employee_pulse",
        "Staff pulse",
        level="department",
        channels={Channel.WEB: 0.6, Channel.EMAIL: 0.4},
    ),
    SurveySpec("win_back", "Win back a lapsed guest", is_published=False),
)
# Staff rate their own hotel on the ten domains in two rounds (days before today), apart
# from the responses asked for: they think better of themselves than their guests do, most
# of all on timeliness and value, which shows on the perception-gap page.
SELF_ASSESSMENT = SurveySpec("self_assessment", "Service self-assessment", channels={"web": 1.0})
SELF_ASSESSMENT_ROUNDS = (270, 90)
SELF_ASSESSMENT_STAFF = 6  # answers per hotel and round
SELF_FLATTERY = {"timeliness": 1.1, "value": 0.9, "efficiency": 0.6}
DEFAULT_FLATTERY = 0.3
PULSE_SHARE = 0.06  # of all responses, at most PULSE_PARTICIPATION of the staff each month
PULSE_PARTICIPATION = 0.7
PULSE_WINDOW_DAYS = 9  # the pulse opens on the 2nd of the month and stays open this long
STAFF_ITEMS = ("training", "authority", "tools", "recognition")
STAFF_MEANS = {"training": 0.1, "authority": -0.3, "tools": -0.1, "recognition": -0.2}


class DemoRefused(Conflict):
    """The database holds other organisations and ``force`` was not given."""


@dataclass(frozen=True)
class DemoLogin:
    """A demo account worth trying: its email, its person's name, its role and unit."""

    email: str
    name: str
    role: str
    unit: str = ""


@dataclass(frozen=True)
class DemoSummary:
    """What seeding made (or found, when the demo existed already)."""

    organisation: Organisation
    created: bool
    users: list[AbstractBaseUser]
    logins: list[DemoLogin]
    surveys: list[Survey]
    response_count: int
    email: str = DEMO_EMAIL
    password: str = DEMO_PASSWORD


def seed_demo(
    *,
    responses: int = DEFAULT_RESPONSES,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> DemoSummary:
    """Create the Harbour Hotels demo with exactly ``responses`` responses over the last year.

    Do nothing when the demo organisation exists. Refuse with DemoRefused when other
    organisations exist, unless ``force``: the demo then sits beside them, and its people
    (all @heedback.local) can log in. Responses fall on the 365 days before ``today``
    (default: today in London), never on ``today`` itself, so the data does not depend on
    the hour it was made. ``progress(done, total)`` is called after every batch. When there
    are responses, staff self-assessments come on top: ``SELF_ASSESSMENT_STAFF`` per hotel in
    each of two rounds, drawn after everything else so the rest of the demo is unchanged.
    """
    if responses < 0:
        raise InvalidInput.from_pairs(
            _("The demo is not valid."), [("responses", _("Give zero or more responses."))]
        )
    existing = Organisation.objects.filter(slug=DEMO_SLUG).first()
    if existing is not None:
        return _summary_of(existing, created=False)
    others = list(Organisation.objects.order_by("slug").values_list("slug", flat=True)[:4])
    if others and not force:
        raise DemoRefused(
            _(
                "The database already holds other organisations (%(slugs)s). The demo adds an "
                "organisation with demo logins beside them; use --force to add it anyway."
            )
            % {"slugs": ", ".join(others)}
        )
    today = today or timezone.localdate(timezone=ZoneInfo(DEMO_TIME_ZONE))
    with transaction.atomic():
        organisation = create_organisation(name=DEMO_NAME, slug=DEMO_SLUG, time_zone=DEMO_TIME_ZONE)
        builder = _DemoBuilder(organisation, random.Random(seed), today)
        builder.build_structure()
        builder.build_responses(responses, progress)
        if responses:
            builder.build_self_assessments(first_number=responses + 1)
        builder.backdate()
    return _summary_of(organisation, created=True)


def _summary_of(organisation: Organisation, *, created: bool) -> DemoSummary:
    memberships = list(
        Membership.objects.for_org(organisation).select_related("user", "unit").order_by("pk")
    )
    logins = [
        DemoLogin(m.user.email, m.user.get_full_name(), m.role, m.unit.name if m.unit else "")
        for m in memberships
        if m.role != Role.FRONTLINE
    ]
    frontline = [m for m in memberships if m.role == Role.FRONTLINE]
    if frontline:
        first = frontline[0]
        logins.append(
            DemoLogin(first.user.email, first.user.get_full_name(), first.role, first.unit.name)
        )
    return DemoSummary(
        organisation=organisation,
        created=created,
        users=[membership.user for membership in memberships],
        logins=logins,
        surveys=list(Survey.objects.for_org(organisation).order_by("pk")),
        response_count=Response.objects.for_org(organisation).count(),
    )


# --- building -------------------------------------------------------------------------------


@dataclass
class _Hotel:
    profile: HotelProfile
    unit: Unit
    departments: dict[str, Unit]
    staff: dict[str, list[str]] = field(default_factory=dict)  # first names per department


@dataclass
class _LiveSurvey:
    spec: SurveySpec
    survey: Survey
    version: SurveyVersion | None = None
    definition: SurveyDefinition | None = None
    questions: dict[str, Question] = field(default_factory=dict)
    links: dict[int, SurveyLink] = field(default_factory=dict)


@dataclass(slots=True)
class _Plan:
    """One response to make: which survey, for which unit, when and through which channel."""

    when: datetime
    order: int
    survey_key: str
    unit: Unit
    day: int
    channel: str
    hotel: _Hotel | None = None
    region: str = ""
    department: str = ""


class _DemoBuilder:
    """Build the demo organisation step by step with one random generator."""

    def __init__(self, organisation: Organisation, rng: random.Random, today: date) -> None:
        self.organisation = organisation
        self.rng = rng
        self.writer = CommentWriter(rng)
        self.zone = ZoneInfo(DEMO_TIME_ZONE)
        self.first_day = today - timedelta(days=WINDOW_DAYS)
        self.end = datetime.combine(today, time(0), tzinfo=self.zone)
        self.days = [self.first_day + timedelta(days=offset) for offset in range(WINDOW_DAYS)]
        # Summer is busy: +1 in mid-July, -1 in mid-January.
        self.season = [
            math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365.25) for day in self.days
        ]
        self.hotels: list[_Hotel] = []
        self.regions: dict[str, Unit] = {}
        self.owner: AbstractBaseUser | None = None
        self.surveys: dict[str, _LiveSurvey] = {}
        self.new_manager_membership: Membership | None = None
        self.new_user_ids: list[int] = []

    # --- organisation, people, surveys ------------------------------------------------------

    def build_structure(self) -> None:
        """Create the unit tree, the people, the domains and the surveys."""
        self._create_units()
        self._create_people()
        seed_default_domains(self.organisation)
        self._create_surveys()

    def _create_units(self) -> None:
        root = root_unit(self.organisation)
        for region in REGIONS:
            self.regions[region] = create_unit(
                self.organisation, name=region, parent=root, kind=UnitKind.REGION
            )
        for profile in HOTELS:
            unit = create_unit(
                self.organisation,
                name=profile.name,
                parent=self.regions[profile.region],
                kind=UnitKind.LOCATION,
            )
            departments = {
                name: create_unit(
                    self.organisation, name=name, parent=unit, kind=UnitKind.DEPARTMENT
                )
                for name in DEPARTMENTS
            }
            self.hotels.append(_Hotel(profile, unit, departments))

    def _create_people(self) -> None:
        # Hashing the password once and giving every account the same (salted) hash keeps
        # seeding fast: forty PBKDF2 runs would take longer than twenty thousand responses.
        people: list[tuple[str, str, str, Unit | None]] = [
            (f"{local}@{EMAIL_DOMAIN}", name, role, None) for local, name, role in LEADERS
        ]
        for region, name in REGION_MANAGERS.items():
            people.append(
                (
                    f"manager.{region.lower()}@{EMAIL_DOMAIN}",
                    name,
                    Role.MANAGER,
                    self.regions[region],
                )
            )
        for hotel in self.hotels:
            email = f"manager.{hotel.profile.city.lower()}@{EMAIL_DOMAIN}"
            people.append((email, hotel.profile.manager, Role.MANAGER, hotel.unit))
        names = self._staff_names(len(self.hotels) * len(DEPARTMENTS) * STAFF_LOGINS_PER_DEPARTMENT)
        for hotel in self.hotels:
            for department, unit in hotel.departments.items():
                hotel.staff[department] = []
                for _index in range(STAFF_LOGINS_PER_DEPARTMENT):
                    first, last = names.pop()
                    hotel.staff[department].append(first)
                    local = "".join(c for c in f"{first}.{last}".lower() if c.isalnum() or c == ".")
                    people.append(
                        (f"{local}@{EMAIL_DOMAIN}", f"{first} {last}", Role.FRONTLINE, unit)
                    )
        owner_hash = ""
        fresh_ids = []
        for email, name, role, unit in people:
            user, created = self._user(email, name, with_password=not owner_hash)
            if created:
                owner_hash = owner_hash or user.password
                fresh_ids.append(user.pk)
            membership = add_member(self.organisation, user, role=role, unit=unit)
            if role == Role.OWNER:
                self.owner = user
            if unit is not None and unit.name.endswith(IMPROVING_HOTEL) and role == Role.MANAGER:
                self.new_manager_membership = membership
        get_user_model().objects.filter(pk__in=fresh_ids).update(password=owner_hash)
        self.new_user_ids = fresh_ids

    def _staff_names(self, count: int) -> list[tuple[str, str]]:
        firsts = self.rng.sample(FIRST_NAMES, count)
        lasts = self.rng.sample(LAST_NAMES, count)
        return list(zip(firsts, lasts, strict=True))

    def _user(self, email: str, name: str, *, with_password: bool) -> tuple[AbstractBaseUser, bool]:
        """Return the person with ``email``, created when new; an existing one is reused."""
        existing = get_user_model().objects.filter(username=email).first()
        if existing is not None:
            return existing, False
        # ``None`` gives an unusable password without hashing; the shared hash replaces it.
        password = DEMO_PASSWORD if with_password else None
        return create_user(email=email, password=password, name=name), True

    def _create_surveys(self) -> None:
        for spec in SURVEYS:
            survey = create_survey_from_template(
                self.organisation, template_key=spec.template_key, name=spec.name, actor=self.owner
            )
            live = _LiveSurvey(spec, survey)
            if spec.is_published:
                live.version = publish_and_open_links(survey, actor=self.owner)
                live.definition = live.version.parsed()
                live.questions = {question.key: question for question in live.definition.questions}
                live.links = {
                    link.unit_id: link for link in SurveyLink.objects.filter(survey=survey)
                }
            self.surveys[spec.template_key] = live

    def backdate(self) -> None:
        """Date the organisation before its first response, so its history reads as real."""
        founded = datetime.combine(self.first_day, time(9), tzinfo=self.zone) - timedelta(days=30)
        launched = founded + timedelta(days=14)
        organisation = self.organisation
        Organisation.objects.filter(pk=organisation.pk).update(created_at=founded)
        Unit.objects.for_org(organisation).update(created_at=founded)
        Membership.objects.for_org(organisation).update(created_at=founded)
        get_user_model().objects.filter(pk__in=self.new_user_ids).update(date_joined=founded)
        published = Survey.objects.for_org(organisation).exclude(published_version=None)
        published.update(created_at=launched, updated_at=launched)
        SurveyVersion.objects.for_org(organisation).exclude(published_at=None).update(
            created_at=launched, published_at=launched
        )
        SurveyLink.objects.for_org(organisation).update(created_at=launched)
        if self.new_manager_membership is not None:
            arrived = datetime.combine(self.days[NEW_MANAGER_DAY], time(9), tzinfo=self.zone)
            Membership.objects.filter(pk=self.new_manager_membership.pk).update(created_at=arrived)

    # --- responses --------------------------------------------------------------------------

    def build_responses(
        self, total: int, progress: Callable[[int, int], None] | None = None
    ) -> int:
        """Store exactly ``total`` responses in batches; return how many were stored."""
        plans = self._plans(total)
        plans.sort(key=lambda plan: (plan.when, plan.order))
        if progress is not None:
            progress(0, total)
        for start in range(0, len(plans), BATCH_SIZE):
            self._store(plans[start : start + BATCH_SIZE], first_number=start + 1)
            if progress is not None:
                progress(min(start + BATCH_SIZE, total), total)
        return len(plans)

    def build_self_assessments(self, first_number: int) -> None:
        """Publish the self-assessment survey and store the staff's answers of two rounds."""
        survey = create_survey_from_template(
            self.organisation,
            template_key=SELF_ASSESSMENT.template_key,
            name=SELF_ASSESSMENT.name,
            actor=self.owner,
        )
        live = _LiveSurvey(SELF_ASSESSMENT, survey)
        live.version = publish_and_open_links(survey, actor=self.owner)
        live.definition = live.version.parsed()
        live.questions = {question.key: question for question in live.definition.questions}
        live.links = {link.unit_id: link for link in SurveyLink.objects.filter(survey=survey)}
        self.surveys[SELF_ASSESSMENT.template_key] = live
        plans = [
            self._plan(SELF_ASSESSMENT, hotel.unit, WINDOW_DAYS - days_before, order, hotel=hotel)
            for order, (hotel, days_before, _person) in enumerate(
                (hotel, days_before, person)
                for hotel in self.hotels
                for days_before in SELF_ASSESSMENT_ROUNDS
                for person in range(SELF_ASSESSMENT_STAFF)
            )
        ]
        self._store(plans, first_number=first_number)

    def _counts(self, total: int) -> dict[str, int]:
        """Split ``total`` between the surveys, exactly (largest remainders)."""
        slots = len(self.hotels) * sum(DEPARTMENT_HEADCOUNT.values()) * 12
        pulse = min(round(total * PULSE_SHARE), int(slots * PULSE_PARTICIPATION))
        customer = [spec for spec in SURVEYS if spec.share > 0]
        shares = sum(spec.share for spec in customer)
        exact = {spec.template_key: (total - pulse) * spec.share / shares for spec in customer}
        counts = {key: int(value) for key, value in exact.items()}
        missing = total - pulse - sum(counts.values())
        for key in sorted(exact, key=lambda key: counts[key] - exact[key])[:missing]:
            counts[key] += 1
        counts["employee_pulse"] = pulse
        return counts

    def _plans(self, total: int) -> list[_Plan]:
        plans: list[_Plan] = []
        for key, count in self._counts(total).items():
            spec = self.surveys[key].spec
            if key == "employee_pulse":
                plans.extend(self._pulse_plans(spec, count, len(plans)))
            elif spec.level == "region":
                plans.extend(self._region_plans(spec, count, len(plans)))
            else:
                plans.extend(self._hotel_plans(spec, count, len(plans)))
        return plans

    def _hotel_plans(self, spec: SurveySpec, count: int, order: int) -> list[_Plan]:
        """Draw hotel and day together, so each hotel keeps its own season and trend."""
        pairs = []
        weights = []
        for hotel in self.hotels:
            profile = hotel.profile
            for index, day in enumerate(self.days):
                busy = max(1 + profile.seasonality * self.season[index], 0.1)
                # A better hotel fills more rooms: Leeds gets busier as it improves.
                growth = 1 + 0.25 * profile.progress_on(index)
                pairs.append((hotel, index))
                weights.append(profile.volume * busy * growth * spec.weekdays[day.weekday()])
        plans = []
        for hotel, index in self._draw(pairs, weights, count):
            department = ""
            unit = hotel.unit
            if spec.level == "department":
                department = self.rng.choices(DEPARTMENTS, DEPARTMENT_SHARES)[0]
                unit = hotel.departments[department]
            plans.append(
                self._plan(
                    spec, unit, index, order + len(plans), hotel=hotel, department=department
                )
            )
        return plans

    def _region_plans(self, spec: SurveySpec, count: int, order: int) -> list[_Plan]:
        pairs = []
        weights = []
        for region in REGIONS:
            for index, day in enumerate(self.days):
                quiet = day.month == 8 or (day.month == 12 and day.day >= 20)
                pairs.append((region, index))
                weights.append(
                    REGION_VOLUMES[region] * (0.4 if quiet else 1.0) * spec.weekdays[day.weekday()]
                )
        return [
            self._plan(spec, self.regions[region], index, order + number, region=region)
            for number, (region, index) in enumerate(self._draw(pairs, weights, count))
        ]

    def _pulse_plans(self, spec: SurveySpec, count: int, order: int) -> list[_Plan]:
        """Give each of ``count`` staff answers its own (department, month, person) slot."""
        months = self._pulse_windows()
        slots = [
            (hotel, department, month)
            for hotel in self.hotels
            for department in DEPARTMENTS
            for month in range(len(months))
            for _person in range(DEPARTMENT_HEADCOUNT[department])
        ]
        plans = []
        for hotel, department, month in self.rng.sample(slots, count):
            index = self.rng.choice(months[month])
            plans.append(
                self._plan(
                    spec,
                    hotel.departments[department],
                    index,
                    order + len(plans),
                    hotel=hotel,
                    department=department,
                )
            )
        return plans

    def _pulse_windows(self) -> list[list[int]]:
        """Return the day indexes each of the last twelve monthly pulses was open."""
        windows: list[list[int]] = []
        month_start = self.days[-1].replace(day=1)
        while len(windows) < 12:
            opens = month_start + timedelta(days=1)
            window = [
                (opens + timedelta(days=offset) - self.first_day).days
                for offset in range(PULSE_WINDOW_DAYS)
            ]
            window = [index for index in window if 0 <= index < WINDOW_DAYS]
            if window:
                windows.append(window)
            month_start = (month_start - timedelta(days=1)).replace(day=1)
        return windows

    def _draw(self, pairs: list, weights: list[float], count: int) -> list:
        return self.rng.choices(pairs, cum_weights=list(accumulate(weights)), k=count)

    def _plan(
        self,
        spec: SurveySpec,
        unit: Unit,
        index: int,
        order: int,
        *,
        hotel: _Hotel | None = None,
        region: str = "",
        department: str = "",
    ) -> _Plan:
        hours = spec.hours or _hours((8, 22, 1.0))
        hour = self.rng.choices(range(24), hours)[0]
        moment = time(hour, self.rng.randrange(60), self.rng.randrange(60))
        channels = list(spec.channels)
        channel = self.rng.choices(channels, [spec.channels[c] for c in channels])[0]
        when = datetime.combine(self.days[index], moment, tzinfo=self.zone)
        return _Plan(
            when, order, spec.template_key, unit, index, str(channel), hotel, region, department
        )

    def _store(self, plans: Sequence[_Plan], *, first_number: int) -> None:
        """Write one batch of responses and their answers."""
        rows = []
        for number, plan in enumerate(plans, start=first_number):
            live = self.surveys[plan.survey_key]
            raw = self._answers(plan)
            cleaned = clean_answers(live.definition, raw)
            if cleaned.errors:  # the generator and the template disagree: fail loudly
                raise AssertionError(f"demo answers for {plan.survey_key}: {cleaned.errors}")
            received = plan.when
            if plan.channel == Channel.PAPER:  # cards are typed in a day or three later
                received = min(plan.when + timedelta(hours=self.rng.uniform(12, 72)), self.end)
            response = Response(
                organisation=self.organisation,
                survey=live.survey,
                version=live.version,
                unit=plan.unit,
                link=live.links.get(plan.unit.pk),
                channel=plan.channel,
                idempotency_key=f"demo-{number}",
                submitted_at=plan.when,
                local_date=local_date_of(self.organisation.time_zone, plan.when),
                received_at=received,
                language="en",
            )
            rows.append((response, live, cleaned.values))
        Response.objects.bulk_create([response for response, _live, _values in rows])
        Answer.objects.bulk_create(
            [
                answer_row(response, live.questions[key], value)
                for response, live, values in rows
                for key, value in values.items()
            ]
        )

    # --- answers ----------------------------------------------------------------------------

    def _answers(self, plan: _Plan) -> dict[str, object]:
        make = {
            "hotel_stay": self._hotel_stay,
            "post_service": self._post_service,
            "ten_domains": self._ten_domains,
            "business_review": self._business_review,
            "employee_pulse": self._employee_pulse,
            "self_assessment": self._self_assessment,
        }[plan.survey_key]
        return make(plan)

    def _perceptions(self, plan: _Plan) -> dict[str, float]:
        """Return one respondent's latent experience of every domain (0 is average)."""
        gauss = self.rng.gauss
        offsets: Mapping[str, float] = {}
        if plan.hotel is not None:
            profile = plan.hotel.profile
            level = profile.level_on(plan.day)
            offsets = profile.domain_offsets
            if plan.department:
                level += DEPARTMENT_OFFSETS[plan.department]
                level += profile.department_offsets.get(plan.department, 0.0)
            busy = max(self.season[plan.day], 0.0) * profile.seasonality
        else:
            level = REGION_LEVELS[plan.region]
            busy = 0.0
        halo = HALO * gauss(0.0, 1.0)
        return {
            key: level
            + DOMAIN_MEANS[key]
            + offsets.get(key, 0.0)
            - BUSY_EFFECTS.get(key, 0.0) * busy
            + halo
            + UNIQUE * gauss(0.0, 1.0)
            for key in DOMAIN_KEYS
        }

    def _overall(self, perceptions: Mapping[str, float], weights: Mapping[str, float]) -> float:
        judged = sum(weight * perceptions[key] for key, weight in weights.items())
        return judged + OVERALL_NOISE * self.rng.gauss(0.0, 1.0)

    def _hotel_stay(self, plan: _Plan) -> dict[str, object]:
        perceptions = self._perceptions(plan)
        nps = _score(NPS_CENTRE + NPS_SPREAD * self._overall(perceptions, DRIVER_WEIGHTS))
        answers: dict[str, object] = {"nps": nps}
        self._maybe_rate(answers, "staff", perceptions["frontline_behaviours"], 0.03)
        self._maybe_rate(answers, "room_cleanliness", perceptions["environment"], 0.02)
        self._maybe_rate(answers, "food_quality", perceptions["quality"], 0.25)
        self._stay_comment(answers, plan, perceptions, nps)
        return answers

    def _ten_domains(self, plan: _Plan) -> dict[str, object]:
        perceptions = self._perceptions(plan)
        nps = _score(NPS_CENTRE + NPS_SPREAD * self._overall(perceptions, DRIVER_WEIGHTS))
        answers: dict[str, object] = {"nps": nps}
        for key in DOMAIN_KEYS:
            skip = SKIP_CHANCE.get(key, DEFAULT_SKIP_CHANCE)
            self._maybe_rate(answers, key, perceptions[key], skip)
        self._stay_comment(answers, plan, perceptions, nps)
        return answers

    def _stay_comment(
        self, answers: dict[str, object], plan: _Plan, perceptions: Mapping[str, float], nps: int
    ) -> None:
        tone = tone_of(nps)
        if plan.hotel is None or self.rng.random() >= COMMENT_CHANCE[tone]:
            return
        hotel = plan.hotel
        names = {
            "desk": self.rng.choice(hotel.staff["Front desk"]),
            "housekeeper": self.rng.choice(hotel.staff["Housekeeping"]),
            "waiter": self.rng.choice(hotel.staff["Restaurant"]),
            "city": hotel.profile.city,
        }
        answers["comment"] = self.writer.stay(
            tone=tone,
            perceptions=perceptions,
            topic_weights=hotel.profile.topic_weights,
            names=names,
            is_urgent=self._is_urgent(nps),
        )

    def _post_service(self, plan: _Plan) -> dict[str, object]:
        assert plan.hotel is not None
        perceptions = self._perceptions(plan)
        handled = (perceptions["efficiency"] + perceptions["timeliness"]) / 2
        is_resolved = self.rng.random() < _logistic(1.5 + 1.3 * handled)
        overall = self._overall(perceptions, DRIVER_WEIGHTS) - (0.0 if is_resolved else 0.7)
        nps = _score(NPS_CENTRE + NPS_SPREAD * overall)
        answers: dict[str, object] = {
            "nps": nps,
            "satisfaction": _rating(1.3 * overall + 0.3 + 0.4 * self.rng.gauss(0.0, 1.0)),
            "problem_resolved": is_resolved,
        }
        self._maybe_rate(answers, "timeliness", perceptions["timeliness"], 0.05)
        self._maybe_rate(answers, "staff", perceptions["frontline_behaviours"], 0.05)
        if not is_resolved and self.rng.random() < 0.55:
            answers["improvement"] = self.writer.improvement()
        tone = tone_of(nps)
        if self.rng.random() < COMMENT_CHANCE[tone]:
            answers["comment"] = self.writer.service(
                tone=tone,
                department=plan.department,
                perceptions=perceptions,
                helper=self.rng.choice(plan.hotel.staff[plan.department]),
                is_urgent=self._is_urgent(nps),
            )
        return answers

    def _business_review(self, plan: _Plan) -> dict[str, object]:
        perceptions = self._perceptions(plan)
        nps = _score(NPS_CENTRE - 0.4 + NPS_SPREAD * self._overall(perceptions, BUSINESS_WEIGHTS))
        answers: dict[str, object] = {"nps": nps}
        self._maybe_rate(answers, "initiative", perceptions["commitment"], 0.03)
        self._maybe_rate(answers, "availability", perceptions["ease_of_access"], 0.03)
        self._maybe_rate(answers, "timeliness", perceptions["timeliness"], 0.03)
        self._maybe_rate(answers, "understanding", perceptions["frontline_behaviours"], 0.03)
        tone = tone_of(nps)
        if self.rng.random() < COMMENT_CHANCE[tone]:
            manager = REGION_MANAGERS[plan.region].split()[0]
            answers["comment"] = self.writer.business(
                tone=tone, perceptions=perceptions, manager=manager
            )
        return answers

    def _employee_pulse(self, plan: _Plan) -> dict[str, object]:
        assert plan.hotel is not None
        gauss = self.rng.gauss
        profile = plan.hotel.profile
        engagement = 0.7 * profile.level_on(plan.day) + 0.8 * gauss(0.0, 1.0)
        items = {
            key: 0.8 * engagement
            + STAFF_MEANS[key]
            + profile.staff_offsets.get(key, 0.0)
            + 0.7 * gauss(0.0, 1.0)
            for key in STAFF_ITEMS
        }
        items["staffing"] = engagement - 0.3 + 0.7 * gauss(0.0, 1.0)
        mood = 0.5 * engagement + 0.5 * sum(items[key] for key in STAFF_ITEMS) / len(STAFF_ITEMS)
        enps = _score(ENPS_CENTRE + ENPS_SPREAD * mood + 0.5 * gauss(0.0, 1.0))
        answers: dict[str, object] = {"enps": enps}
        for key in STAFF_ITEMS:
            self._maybe_rate(answers, key, items[key], 0.03)
        if self.rng.random() < STAFF_COMMENT_CHANCE:
            settled = profile.improvement and plan.day > NEW_MANAGER_DAY + 45
            answers["comment"] = self.writer.staff(
                tone=tone_of(enps),
                perceptions=items,
                new_manager=profile.manager.split()[0] if settled else "",
            )
        return answers

    def _self_assessment(self, plan: _Plan) -> dict[str, object]:
        assert plan.hotel is not None
        profile = plan.hotel.profile
        level = profile.level_on(plan.day)
        return {
            key: _rating(
                level
                + DOMAIN_MEANS[key]
                + profile.domain_offsets.get(key, 0.0)
                + SELF_FLATTERY.get(key, DEFAULT_FLATTERY)
                + 0.6 * self.rng.gauss(0.0, 1.0)
            )
            for key in DOMAIN_KEYS
        }

    def _maybe_rate(
        self, answers: dict[str, object], key: str, perception: float, skip: float
    ) -> None:
        if self.rng.random() >= skip:
            answers[key] = _rating(perception)

    def _is_urgent(self, nps: int) -> bool:
        return nps <= 4 and self.rng.random() < URGENT_CHANCE


def _rating(perception: float) -> int:
    """Return the 1–5 rating a latent perception is given."""
    return bisect(RATING_CUTS, perception) + 1


def _score(value: float) -> int:
    """Return a 0–10 score from a continuous one."""
    return min(max(round(value), 0), 10)


def _logistic(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))
