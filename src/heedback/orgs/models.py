"""Organisations, their unit tree, their members and keys, and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from heedback.orgs.choices import ApiKeyRole, Role, UnitKind
from heedback.orgs.permissions import UNIT_SCOPED_ROLES, Permission, role_allows


class Organisation(models.Model):
    """A tenant: every other row of the product belongs to exactly one organisation."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    minimum_sample = models.PositiveIntegerField(
        _("minimum sample"),
        default=30,
        help_text=_("Cells with fewer answers are greyed out and never ranked."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrgScopedQuerySet(models.QuerySet):
    """Queries of organisation data, which always say which organisation they read."""

    def for_org(self, organisation: Organisation) -> OrgScopedQuerySet:
        """Return the rows of ``organisation`` only."""
        return self.filter(organisation=organisation)


class OrgOwned(models.Model):
    """Abstract base of every model whose rows belong to one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        abstract = True


class Unit(OrgOwned):
    """A node of the organisation's tree: company > region > location > team.

    ``path`` is a materialised path of zero-padded ids ("00000001.00000004."), so a
    subtree is one indexed prefix query on both SQLite and PostgreSQL.
    """

    PATH_STEP = 9

    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind, default=UnitKind.LOCATION)
    path = models.CharField(max_length=900, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "parent", "name"], name="unit_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        """Return how deep the unit sits in its tree (the root is 0)."""
        return max(len(self.path) // self.PATH_STEP - 1, 0)


class Membership(OrgOwned):
    """A person's role in one organisation; managers and front-line staff hang on a unit."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
        help_text=_("Managers manage this unit's subtree; front-line staff work in this unit."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"

    def has(self, permission: Permission) -> bool:
        """Return whether this member's role grants ``permission``."""
        return role_allows(self.role, permission)

    @property
    def is_unit_scoped(self) -> bool:
        """Return whether this member sees only the results of their own unit's subtree."""
        return self.role in UNIT_SCOPED_ROLES and self.unit_id is not None


class MemberInvitation(OrgOwned):
    """An emailed invitation to join an organisation with a role; the token is kept hashed."""

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Role)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class ApiKey(OrgOwned):
    """A key for the REST API; only its hash is stored, the key is shown once."""

    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(
        _("access"), max_length=20, choices=ApiKeyRole, default=ApiKeyRole.ADMIN
    )
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    # A key for one survey may submit to and read only that survey (everything else is a
    # 404). Deleting the survey deletes the key: it must never widen to the organisation.
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """A privileged action: who did what to which object, kept for review."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = OrgScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"


class LoginFailure(models.Model):
    """A failed log-in, counted to slow down password guessing from any web process."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M}"
