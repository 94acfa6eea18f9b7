from django.http import HttpRequest

from heedback.orgs.permissions import Permission


def membership(request: HttpRequest) -> dict:
    """Expose the current organisation and membership (set by ``member_view``) to templates."""
    member = getattr(request, "membership", None)
    return {
        "organisation": getattr(request, "organisation", None),
        "membership": member,
        "can_administer": bool(member and member.has(Permission.MANAGE_MEMBERS)),
        "can_edit_surveys": bool(member and member.has(Permission.EDIT_SURVEYS)),
        "can_enter_responses": bool(member and member.has(Permission.ENTER_RESPONSES)),
    }
