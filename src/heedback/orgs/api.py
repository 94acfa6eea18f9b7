"""The orgs router: the unit tree."""

from django.http import HttpRequest
from ninja import Router, Status

from heedback.core.api_support import requires
from heedback.orgs import selectors, services
from heedback.orgs.models import Unit
from heedback.orgs.permissions import Permission
from heedback.orgs.schemas import UnitIn, UnitOut
from heedback.orgs.tenancy import get_scoped_or_404, get_scoped_or_invalid

router = Router(tags=["units"])


@router.get("/units", response=list[UnitOut])
@requires(Permission.VIEW)
def list_units(request: HttpRequest):
    """List the organisation's units in tree order (a parent before its children)."""
    return list(selectors.units_of(request.organisation))


@router.get("/units/{unit_id}", response=UnitOut)
@requires(Permission.VIEW)
def get_unit(request: HttpRequest, unit_id: int):
    return get_scoped_or_404(Unit, request.organisation, pk=unit_id)


@router.post("/units", response={201: UnitOut})
@requires(Permission.WRITE_API)
def create_unit(request: HttpRequest, payload: UnitIn):
    """Create a unit under ``parent`` (or a new root)."""
    parent = None
    if payload.parent is not None:
        parent = get_scoped_or_invalid(Unit, request.organisation, "parent", pk=payload.parent)
    unit = services.create_unit(
        request.organisation, name=payload.name, parent=parent, kind=payload.kind
    )
    return Status(201, unit)
