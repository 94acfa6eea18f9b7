"""Read model instances with SQL written once, where compiling a queryset is the cost.

Compiling a queryset (``filter``, ``select_related``, ``get``) costs a few hundred
microseconds of Python, ten times what the database takes to answer a look-up by key;
the ingest endpoint made three such reads per request. ``RowReader`` builds the SELECT
of a model (optionally joined to one foreign key's model) once per process, and turns
each row into the instances the ORM would have returned: the same field converters run
(aware datetimes, parsed JSON), ``Model.from_db`` builds them, and a joined row lands in
the relation's cache as ``select_related`` would put it.

Use it only on hot paths whose query is a fixed look-up; everything else stays in the ORM.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, models

ModelT = TypeVar("ModelT", bound=models.Model)


class _Columns:
    """The concrete columns of one model: SELECT list, attribute names and converters."""

    def __init__(self, model: type[models.Model], alias: str) -> None:
        self.model = model
        fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in fields]
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
        self.converters = []
        for position, field in enumerate(fields):
            column = field.get_col(alias)
            functions = connection.ops.get_db_converters(column) + field.get_db_converters(
                connection
            )
            if functions:
                self.converters.append((position, functions, column))

    def instance(self, values: Sequence[Any]) -> models.Model:
        values = list(values)
        for position, functions, column in self.converters:
            value = values[position]
            for function in functions:
                value = function(value, column, connection)
            values[position] = value
        return self.model.from_db(connection.alias, self.attnames, values)


class _BuiltOnce:
    """Keep what ``_build`` returns, built again only if the connection's vendor changes.

    Built on first use, not at import: converters depend on the connection's vendor.
    """

    def __init__(self) -> None:
        self._built: Any = None
        self._vendor = ""

    def _build(self) -> Any:
        raise NotImplementedError

    def _prepare(self) -> Any:
        if self._built is None or self._vendor != connection.vendor:
            self._built = self._build()
            self._vendor = connection.vendor
        return self._built


class RowReader(_BuiltOnce, Generic[ModelT]):
    """Read instances of ``model`` matching a fixed WHERE clause, with SQL built once.

    ``related`` names one foreign key to read in the same query (an inner join), like
    ``select_related``. ``where`` refers to the model's table as ``t`` and the related
    table as ``r``, with ``%s`` placeholders.
    """

    def __init__(self, model: type[ModelT], where: str, *, related: str | None = None) -> None:
        super().__init__()
        self.model = model
        self.where = where
        self.related = related

    def _build(self) -> tuple[str, _Columns, _Columns | None]:
        own = _Columns(self.model, "t")
        table = f'"{self.model._meta.db_table}" t'
        joined = None
        if self.related is not None:
            field = self.model._meta.get_field(self.related)
            joined = _Columns(field.related_model, "r")
            table += (
                f' JOIN "{field.related_model._meta.db_table}" r '
                f'ON r."{field.target_field.column}" = t."{field.column}"'
            )
        select = f"SELECT {own.sql}{', ' + joined.sql if joined else ''} FROM {table}"  # noqa: S608 (names from the model, values as parameters)
        return (f"{select} WHERE {self.where}", own, joined)

    def all(self, parameters: Sequence[Any]) -> list[ModelT]:
        """Return every matching instance (its related instance cached on it)."""
        sql, own, joined = self._prepare()
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            rows = cursor.fetchall()
        width = len(own.attnames)
        instances = []
        for row in rows:
            instance = own.instance(row[:width])
            if joined is not None:
                related = joined.instance(row[width:])
                self.model._meta.get_field(self.related).set_cached_value(instance, related)
            instances.append(instance)
        return instances

    def first(self, parameters: Sequence[Any]) -> ModelT | None:
        """Return one matching instance, or None."""
        found = self.all(parameters)
        return found[0] if found else None


class JoinedRowReader(_BuiltOnce, Generic[ModelT]):
    """Read one instance of ``model`` and, in the same query, a row of ``other`` or None.

    A LEFT JOIN on any condition ``on`` (``other``'s table is ``u``), not only a foreign
    key: the hot path that needs two rows by their keys pays one round trip for both.
    ``on`` takes its placeholders' values before ``where``'s.
    """

    def __init__(
        self, model: type[ModelT], other: type[models.Model], *, on: str, where: str
    ) -> None:
        super().__init__()
        self.model, self.other, self.on, self.where = model, other, on, where

    def _build(self) -> tuple[str, _Columns, _Columns]:
        own, other = _Columns(self.model, "t"), _Columns(self.other, "u")
        sql = (
            f"SELECT {own.sql}, {other.sql} "  # noqa: S608 (names from the models)
            f'FROM "{self.model._meta.db_table}" t '
            f'LEFT JOIN "{self.other._meta.db_table}" u ON {self.on} WHERE {self.where}'
        )
        return (sql, own, other)

    def first(self, parameters: Sequence[Any]) -> tuple[ModelT | None, models.Model | None]:
        """Return the first matching instance and its joined row (None when none joined)."""
        sql, own, other = self._prepare()
        with connection.cursor() as cursor:
            cursor.execute(sql, parameters)
            row = cursor.fetchone()
        if row is None:
            return None, None
        width = len(own.attnames)
        joined = None
        if row[width + other.attnames.index("id")] is not None:
            joined = other.instance(row[width:])
        return own.instance(row[:width]), joined
