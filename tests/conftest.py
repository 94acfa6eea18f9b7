"""Factory fixtures shared by the whole suite: organisations, members by role, API clients."""

from __future__ import annotations

import contextlib
import itertools
import socket
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import Client

from heedback.collect import selectors
from heedback.collect.services import publish_and_open_links
from heedback.core import kept
from heedback.onboarding import create_organisation
from heedback.orgs import services as org_services
from heedback.orgs.models import Membership, Organisation, Unit
from heedback.surveys import services as survey_services
from heedback.surveys.models import Survey

PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start each test with an empty cache: its database is fresh, and ids are reused.

    Rolled-back tests hand out the same ids again, so a read remembered by one test (keyed
    by the state of the responses, ``insights.read_cache``; a survey kept to write to,
    ``core.kept``; a frozen survey version, ``collect.selectors.frozen_version``) could
    match another's.
    """
    cache.clear()
    kept.forget_everything_here()
    selectors.forget_frozen_versions()


@pytest.fixture
def organisation(db) -> Organisation:
    return create_organisation(name="Acme Hotels", slug="acme", time_zone="Europe/London")


@pytest.fixture
def other_organisation(db) -> Organisation:
    return create_organisation(name="Rival Inns", slug="rival")


@pytest.fixture
def root_unit(organisation) -> Unit:
    return Unit.objects.get(organisation=organisation, parent__isnull=True)


@pytest.fixture
def hotel(organisation, root_unit) -> Unit:
    return org_services.create_unit(organisation, name="Harbour Hotel", parent=root_unit)


@pytest.fixture
def other_hotel(organisation, root_unit) -> Unit:
    return org_services.create_unit(organisation, name="Hill Hotel", parent=root_unit)


@pytest.fixture
def make_member(db) -> Callable[..., Membership]:
    """Return a function making a person with a role in an organisation."""

    def make(
        organisation: Organisation, role: str = "admin", unit: Unit | None = None
    ) -> Membership:
        user = org_services.create_user(
            email=f"person{next(_numbers)}@example.com", password=PASSWORD
        )
        if role in {"manager", "frontline"} and unit is None:
            unit = Unit.objects.filter(organisation=organisation).order_by("path").first()
        return org_services.add_member(organisation, user, role=role, unit=unit)

    return make


@pytest.fixture
def admin(organisation, make_member) -> Membership:
    return make_member(organisation, "admin")


@pytest.fixture
def admin_client(admin) -> Client:
    client = Client()
    client.force_login(admin.user)
    return client


class ApiClient:
    """A test client that sends an API key and JSON, as an integration would."""

    def __init__(self, secret: str) -> None:
        self.client = Client(headers={"Authorization": f"Bearer {secret}"})

    def get(self, path: str, params: dict | None = None):
        return self.client.get(path, params or {})

    def post(self, path: str, payload: object = None):
        return self.client.post(
            path, payload if payload is not None else {}, content_type="application/json"
        )

    def put(self, path: str, payload: object):
        return self.client.put(path, payload, content_type="application/json")


@pytest.fixture
def make_api_client(db) -> Callable[..., ApiClient]:
    def make(organisation: Organisation, role: str = "admin") -> ApiClient:
        created = org_services.create_api_key(organisation, name=f"key {next(_numbers)}", role=role)
        return ApiClient(created.secret)

    return make


@pytest.fixture
def api(organisation, make_api_client) -> ApiClient:
    return make_api_client(organisation)


@pytest.fixture
def published_survey(organisation, hotel) -> Survey:
    survey = survey_services.create_survey_from_template(
        organisation, template_key="hotel_stay", name="Stay card"
    )
    publish_and_open_links(survey)
    survey.refresh_from_db()
    return survey


class SmtpInbox:
    """What a real SMTP server on loopback received."""

    def __init__(self) -> None:
        self.messages: list = []
        #: The client's address and port for each message: one per SMTP connection.
        self.peers: list = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    @property
    def message_ids(self) -> list[str]:
        return [message["Message-ID"] for message in self.messages]


@contextlib.contextmanager
def serving_smtp(settings, inbox: SmtpInbox):
    """Run aiosmtpd with ``inbox`` as its handler on a free loopback port, Django pointed at it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # aiosmtpd checks its port by connecting: it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback that accepts everything."""
    with serving_smtp(settings, SmtpInbox()) as inbox:
        yield inbox
