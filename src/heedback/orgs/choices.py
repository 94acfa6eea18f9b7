from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Admin")
    MANAGER = "manager", _("Manager")
    FRONTLINE = "frontline", _("Front-line")
    ANALYST = "analyst", _("Analyst")
    VIEWER = "viewer", _("Viewer")


class ApiKeyRole(models.TextChoices):
    ADMIN = "admin", _("Read and write")
    ANALYST = "analyst", _("Read only")


class UnitKind(models.TextChoices):
    COMPANY = "company", _("Company")
    REGION = "region", _("Region")
    LOCATION = "location", _("Location")
    DEPARTMENT = "department", _("Department")
    TEAM = "team", _("Team")
