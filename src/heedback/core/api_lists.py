"""Bodies that are one object or a list of them, as the ingest routers take them.

A route that takes customers, interactions or mentions accepts one JSON object or a list
of up to ``MAX_LIST_SIZE``. The body is read as plain JSON and each item is validated on
its own, so that one bad item fails only itself; the OpenAPI document still shows the
item's schema. The list answers with each item's fate in its position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from heedback.core.errors import InvalidInput, ServiceError

#: The most items one list may carry.
MAX_LIST_SIZE = 1000

# Items of a list are checked one by one, so that one bad item fails only itself.
OneOrMany = dict[str, Any] | list[Any]

Model = TypeVar("Model", bound=BaseModel)


class ItemFate(Protocol):
    """What a service reports of one item of a list: its position, status, id and errors."""

    index: int
    status: str
    id: int | None
    errors: dict[str, list[str]] | None


def _inlined(schema: Any, definitions: dict) -> Any:
    """Return ``schema`` with its ``$defs`` references replaced by the definitions."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inlined(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {key: _inlined(value, definitions) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_inlined(item, definitions) for item in schema]
    return schema


def one_or_many_openapi(schema: type[BaseModel]) -> dict:
    """Document a body that is one object of ``schema`` or a list of them.

    Give it as the operation's ``openapi_extra``: the body itself is read as plain JSON.
    """
    generated = schema.model_json_schema()
    definitions = generated.pop("$defs", {})
    item = _inlined(generated, definitions)
    many = {"type": "array", "items": item, "maxItems": MAX_LIST_SIZE}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"oneOf": [item, many]}}},
        }
    }


def parse_item(schema: type[Model], raw: object, message: str) -> Model:
    """Validate one item, reporting pydantic's problems as field paths inside the item."""
    if not isinstance(raw, dict):
        raise InvalidInput.from_pairs(message, [("__all__", "Send a JSON object.")])
    try:
        return schema.model_validate(raw)
    except ValidationError as error:
        raise InvalidInput.from_pairs(
            message,
            [
                (
                    ".".join(str(part) for part in problem["loc"]) or "__all__",
                    str(problem["msg"]).removeprefix("Value error, "),
                )
                for problem in error.errors()
            ],
        ) from error


def check_list_size(items: list) -> None:
    """Refuse an empty list, or one longer than ``MAX_LIST_SIZE``, before reading any item."""
    if not 1 <= len(items) <= MAX_LIST_SIZE:
        raise InvalidInput.from_pairs(
            "The list is not valid.", [("__all__", f"Send 1 to {MAX_LIST_SIZE:,} items.")]
        )


def parse_items(
    schema: type[Model], raw_items: list, message: str, convert: Callable[[Model], Any]
) -> list:
    """Return each item converted for the service, or the error that fails it, in order."""
    check_list_size(raw_items)
    items: list = []
    for raw in raw_items:
        try:
            items.append(convert(parse_item(schema, raw, message)))
        except ServiceError as error:
            items.append(error)
    return items


def list_body(results: Iterable[ItemFate], statuses: tuple[str, ...]) -> dict:
    """Return the answer to a list: a count per status, then each item's fate in order."""
    results = list(results)
    counts = dict.fromkeys(statuses, 0)
    for result in results:
        counts[result.status] += 1
    return {
        **counts,
        "results": [
            {"index": r.index, "status": r.status, "id": r.id, "errors": r.errors or {}}
            for r in results
        ],
    }
