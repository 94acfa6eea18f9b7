"""Page access: resolve the organisation from the URL and check the member's permission.

Every staff page is declared with ``member_view(permission)``; the decorator is the only
place that turns a URL's ``org_slug`` into an organisation, so no page can forget it.
A non-member gets 404 (the organisation might as well not exist); a member whose role
lacks the permission gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from heedback.orgs.models import Membership
from heedback.orgs.permissions import Permission


def member_view(permission: Permission) -> Callable:
    """Decorate a view taking ``org_slug``; it gets ``request.organisation`` and ``.membership``."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = (
                Membership.objects.select_related("organisation", "unit")
                .filter(organisation__slug=org_slug, user=request.user)
                .first()
            )
            if membership is None:
                raise Http404("No such organisation")
            if not membership.has(permission):
                raise PermissionDenied
            request.organisation = membership.organisation
            request.membership = membership
            return view(request, *args, **kwargs)

        checked.required_permission = permission
        return checked

    return decorator
