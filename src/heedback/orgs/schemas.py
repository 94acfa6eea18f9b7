from __future__ import annotations

from ninja import Schema
from pydantic import Field


class UnitIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    parent: int | None = None
    kind: str = "location"


class UnitOut(Schema):
    id: int
    name: str
    kind: str
    parent: int | None
    depth: int
    path: str

    @staticmethod
    def resolve_parent(unit) -> int | None:
        return unit.parent_id
