"""The one place that decides between a full page and an htmx partial."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render ``partial`` for an htmx request that does not swap the whole body, else ``template``.

    A boosted navigation (``HX-Boosted``) wants the whole page, so only a targeted htmx
    request gets the fragment.
    """
    htmx = getattr(request, "htmx", None)
    if partial and htmx and not htmx.boosted:
        return render(request, partial, context, status=status)
    return render(request, template, context, status=status)
