"""The perception-gap page: how staff rate themselves beside what customers say, per domain.

A thin adapter over ``gap_selectors.perception_gap``: period and unit filters, the
organisation's sentence per domain, and a table of units × domains (self, customers, gap).
"""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from heedback.insights.forms import ResultsFilterForm
from heedback.insights.gap_selectors import GapQuery, perception_gap
from heedback.orgs.access import member_view
from heedback.orgs.permissions import Permission
from heedback.orgs.selectors import visible_units


@member_view(Permission.VIEW)
def perception_gap_page(request: HttpRequest) -> HttpResponse:
    """Show the perception gap for a period and a unit subtree the member may see."""
    organisation, membership = request.organisation, request.membership
    form = ResultsFilterForm(visible_units(membership), request.GET or None)
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    date_from, date_to = form.period_bounds(today)
    unit = form.cleaned_data.get("unit") if form.is_bound and form.is_valid() else None
    result = perception_gap(
        GapQuery(
            organisation=organisation,
            unit=unit,
            date_from=date_from,
            date_to=date_to,
            visible_unit_paths=(membership.unit.path,) if membership.is_unit_scoped else None,
        )
    )
    domains = [key for key in result.domain_names if any(c.domain == key for c in result.total)]
    return render(
        request,
        "insights/gap.html",
        {
            "nav": "gap",
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "unit": unit,
            "result": result,
            "minimum_sample": organisation.minimum_sample,
            "total": [
                {
                    "cell": cell,
                    "name": result.domain_names[cell.domain],
                    "sentence": result.sentence(cell),
                }
                for cell in result.total
            ],
            "domain_headers": [result.domain_names[key] for key in domains],
            "unit_rows": [
                {
                    "unit": row.unit,
                    "cells": [
                        next((c for c in row.cells if c.domain == key), None) for key in domains
                    ],
                }
                for row in result.units
            ],
        },
    )
