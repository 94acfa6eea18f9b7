"""Rules of the orgs app: the unit tree, roles, invitations, keys and the audit log."""

from __future__ import annotations

import pytest
from django.core import mail

from heedback.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from heedback.notify.services import deliver_due
from heedback.orgs import selectors, services
from heedback.orgs.models import AuditEvent, MemberInvitation, Membership

pytestmark = pytest.mark.django_db


def test_a_new_organisation_has_a_root_unit_and_the_ten_domains(organisation):
    from heedback.surveys.models import Domain

    [root] = selectors.units_of(organisation)
    assert (root.name, root.kind, root.parent, root.depth) == ("Acme Hotels", "company", None, 0)
    assert Domain.objects.filter(organisation=organisation).count() == 10


def test_bad_organisations_are_refused(db):
    with pytest.raises(InvalidInput) as error:
        services.create_organisation(name=" ", slug="Not A Slug")
    assert set(error.value.errors) == {"name", "slug"}
    services.create_organisation(name="One", slug="one-org")
    with pytest.raises(Conflict):
        services.create_organisation(name="Two", slug="one-org")


def test_subtrees_follow_the_materialised_path(organisation, root_unit):
    north = services.create_unit(organisation, name="North", parent=root_unit, kind="region")
    leeds = services.create_unit(organisation, name="Leeds", parent=north)
    south = services.create_unit(organisation, name="South", parent=root_unit, kind="region")
    assert [unit.name for unit in selectors.subtree(north)] == ["North", "Leeds"]
    assert leeds.depth == 2
    assert south not in selectors.subtree(north)


def test_a_unit_cannot_hang_under_another_organisations_unit(organisation, other_organisation):
    foreign_root = selectors.root_unit(other_organisation)
    with pytest.raises(NotFound):
        services.create_unit(organisation, name="Sneaky", parent=foreign_root)


def test_managers_and_front_line_staff_need_a_unit(organisation, make_member):
    with pytest.raises(InvalidInput) as error:
        services.add_member(organisation, make_member(organisation, "viewer").user, role="manager")
    assert error.value.errors == {"unit": ["Managers and front-line staff belong to a unit."]}


def test_visible_units_of_a_manager_are_their_subtree(
    organisation, hotel, other_hotel, make_member
):
    manager = make_member(organisation, "manager", unit=hotel)
    analyst = make_member(organisation, "analyst")
    assert list(selectors.visible_units(manager)) == [hotel]
    assert set(selectors.visible_units(analyst)) == {
        selectors.root_unit(organisation),
        hotel,
        other_hotel,
    }


def test_the_escalation_contact_is_the_nearest_manager(organisation, root_unit, hotel, make_member):
    regional = make_member(organisation, "manager", unit=root_unit)
    desk = services.create_unit(organisation, name="Front desk", parent=hotel, kind="department")
    assert selectors.managers_of(desk) == [regional]
    local = make_member(organisation, "manager", unit=hotel)
    assert selectors.managers_of(desk) == [local]


def test_only_an_owner_makes_an_owner_and_the_last_owner_stays(organisation, make_member):
    owner = make_member(organisation, "owner")
    admin = make_member(organisation, "admin")
    viewer = make_member(organisation, "viewer")
    with pytest.raises(Forbidden):
        services.change_role(viewer, role="owner", unit=None, actor=admin)
    with pytest.raises(Conflict):
        services.change_role(owner, role="admin", unit=None, actor=owner)
    services.change_role(viewer, role="analyst", unit=None, actor=admin)
    assert Membership.objects.get(pk=viewer.pk).role == "analyst"
    event = AuditEvent.objects.filter(action="member.role_change").latest("at")
    assert event.detail == {"before": "viewer", "after": "analyst", "unit_id": None}


def test_an_invitation_mails_a_link_that_works_once(organisation, admin):
    sent = services.invite_member(
        organisation,
        email="New.Person@Example.com",
        role="analyst",
        unit=None,
        actor=admin,
        accept_url="https://feedback.example.com/invitations/{token}/",
    )
    assert mail.outbox == []  # the email waits in the outbox for the worker
    deliver_due()
    [message] = mail.outbox
    assert message.to == ["New.Person@example.com"]
    assert f"https://feedback.example.com/invitations/{sent.token}/" in message.body
    assert sent.token not in MemberInvitation.objects.get().token_hash
    person = services.create_user(email="new.person@example.com", password="x" * 12)
    membership = services.accept_invitation(sent.token, person)
    assert (membership.role, membership.organisation) == ("analyst", organisation)
    with pytest.raises(NotFound):
        services.accept_invitation(sent.token, person)


def test_inviting_a_member_twice_is_a_conflict(organisation, admin):
    with pytest.raises(Conflict):
        services.invite_member(
            organisation,
            email=admin.user.email,
            role="viewer",
            unit=None,
            actor=admin,
            accept_url="{token}",
        )
    assert MemberInvitation.objects.count() == 0


def test_login_throttling_counts_recent_failures(db, settings):
    settings.LOGIN_THROTTLE_ATTEMPTS = 3
    for _attempt in range(2):
        services.record_login_failure("a@example.com", "10.0.0.1")
    assert not services.is_login_throttled("a@example.com", "10.0.0.2")
    services.record_login_failure("a@example.com", "10.0.0.1")
    assert services.is_login_throttled("A@example.com", "10.0.0.2")
    assert services.is_login_throttled("someone-else@example.com", "10.0.0.1")
    services.clear_login_failures("a@example.com")
    assert not services.is_login_throttled("a@example.com", "10.0.0.2")
