"""Who may do what: the role table, in one place, free of Django.

Routes name the permission they need; they never compare roles themselves, so the table
below is the whole policy and the access-policy test can check every route against it.
"""

from enum import StrEnum


class Permission(StrEnum):
    VIEW = "view"  # see surveys, results and comments (of the units one may see)
    EDIT_SURVEYS = "edit_surveys"
    MANAGE_UNITS = "manage_units"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_API_KEYS = "manage_api_keys"
    VIEW_AUDIT = "view_audit"
    WRITE_API = "write_api"  # API keys: create surveys, units and responses
    ENTER_RESPONSES = "enter_responses"  # type in answers from paper cards
    # Identified customers (names, contacts, timelines) are personal data: front-line staff
    # and managers need them to serve and win back customers; analysts and viewers work
    # from anonymous figures (the loyalty economics page needs VIEW only).
    VIEW_CUSTOMERS = "view_customers"
    EDIT_CUSTOMERS = "edit_customers"  # note what staff learn: a customer's temperament
    MANAGE_CUSTOMERS = "manage_customers"  # merge, erase, export, lapse rule, guidance
    ASSESS = "assess"  # take the continuum self-assessment for the organisation or a unit
    WORK_CASES = "work_cases"  # follow up feedback: notes, calls, replies, resolve, assign
    MANAGE_RULES = "manage_rules"  # the rules that turn feedback into cases and alerts


_ADMINISTER = frozenset(Permission) - {Permission.WRITE_API}
_SERVE_CUSTOMERS = frozenset({Permission.VIEW_CUSTOMERS, Permission.EDIT_CUSTOMERS})

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "owner": _ADMINISTER,
    "admin": _ADMINISTER,
    "manager": frozenset(
        {Permission.VIEW, Permission.ENTER_RESPONSES, Permission.WORK_CASES, Permission.ASSESS}
    )
    | _SERVE_CUSTOMERS,
    "frontline": frozenset(
        {Permission.VIEW, Permission.ENTER_RESPONSES, Permission.WORK_CASES, Permission.ASSESS}
    )
    | _SERVE_CUSTOMERS,
    "analyst": frozenset({Permission.VIEW, Permission.ASSESS}),
    "viewer": frozenset({Permission.VIEW}),
}

API_KEY_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "admin": frozenset({Permission.VIEW, Permission.WRITE_API, Permission.VIEW_CUSTOMERS}),
    "analyst": frozenset({Permission.VIEW}),
}

# Roles whose view of results is limited to the subtree of their own unit.
UNIT_SCOPED_ROLES = frozenset({"manager", "frontline"})


def role_allows(role: str, permission: Permission) -> bool:
    """Return whether a member with ``role`` holds ``permission``."""
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def api_key_allows(role: str, permission: Permission) -> bool:
    """Return whether an API key with ``role`` holds ``permission``."""
    return permission in API_KEY_PERMISSIONS.get(role, frozenset())
