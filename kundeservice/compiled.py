"""Lookups whose SQL Django compiles once a process, for the requests a rush or a survey makes
by the hundred a second.

Compiling a queryset (resolving its lookups, joins, ``select_related`` columns and ordering to
SQL) cost more CPU than running it on the hot paths: a third of a ticket buyer's order page
(bench/RESULTS.md, issue 14). A :class:`CompiledQuery` builds its queryset once with stand-in
values, keeps the SQL and the compiler's column map, and runs that SQL again with the caller's
values: the rows become model instances exactly as the queryset would make them, with
``select_related`` objects and ``prefetch_related`` lookups (these are still compiled each
time; ``fetch_into`` keeps a compiled query's rows as an instance's prefetched relation).
Only the values of an ``exact`` lookup on a text or integer column may vary: a builder that
transforms a value (``code.upper()``) or wraps it (``icontains``) is refused the first time it
runs, so a test catches it.

    ORDER = CompiledQuery(lambda code: Order.objects.filter(code=code)[:1], code=str)
    orders = ORDER.fetch(code="AB12CD34")
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)


def _stand_in(name: str, kind: type, index: int, draw: int) -> Any:
    """A value for compiling with: text with a NUL (PostgreSQL refuses NUL in text, so no
    caller's), an integer within even a small positive column's range (a value outside a
    column's range compiles to no SQL at all). The query is compiled with two draws: a
    parameter is the caller's value where it follows the draw."""
    if kind is str:
        return f"\x00compiled-query:{name}:{draw}\x00"
    if kind is int:
        return 32_000 + 100 * draw + index
    raise ImproperlyConfigured(f"CompiledQuery values are str or int, not {kind!r} ({name})")


@dataclass(frozen=True)
class _Compiled:
    queryset: models.QuerySet[Any]
    compiler: Any  # SQLCompiler with select, klass_info and annotation_col_map filled
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str], ...]  # (index in params, value name)


class CompiledQuery(Generic[M]):
    """A SELECT built by ``build(**values)``, compiled once per database alias."""

    def __init__(self, build: Callable[..., models.QuerySet[M]], **kinds: type) -> None:
        self._build = build
        self._kinds = kinds
        self._alias: str | None = None
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def fetch(self, **values: Any) -> list[M]:
        """The rows for ``values``, as ``list(build(**values))`` gives them."""
        if values.keys() != self._kinds.keys():
            raise TypeError(f"CompiledQuery takes {sorted(self._kinds)}, got {sorted(values)}")
        for name, value in values.items():
            if type(value) is not self._kinds[name]:
                raise TypeError(f"{name} must be {self._kinds[name].__name__}, not {value!r}")
        compiled = self._for_alias()
        params = list(compiled.params)
        for index, name in compiled.slots:
            params[index] = values[name]
        sql = compiled.sql
        compiler = copy.copy(compiled.compiler)
        # The calling thread's connection (Django's are per thread), not the compiling one's.
        compiler.connection = connections[compiled.queryset.db]
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run = compiled.queryset.all()  # a copy, not yet run
        # ``run`` never leaves this method: a queryset chained from it would carry this SQL.
        run.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return list(run)

    def fetch_into(self, instance: models.Model, related_name: str, **values: Any) -> list[M]:
        """The rows for ``values``, kept as ``instance``'s ``related_name`` (a reverse foreign
        key) the way ``prefetch_related`` keeps them: ``getattr(instance, related_name).all()``
        reads them without a query, and each row's foreign key holds ``instance``. The rows must
        be that relation's (the builder filters by the instance's key); a row of another
        instance is refused with ``ValueError``."""
        rows = self.fetch(**values)
        manager = getattr(instance, related_name)
        field = manager.field  # the rows' foreign key to ``instance``
        own = field.get_foreign_related_value(instance)
        for row in rows:
            if field.get_local_related_value(row) != own:
                raise ValueError(f"{row!r} is not one of {instance!r}'s {related_name}")
            field.set_cached_value(row, instance)
        queryset = manager.get_queryset()
        # What Django's prefetch_one_level stores for a prefetched relation. The attributes are
        # private: tests/kundeservice/test_compiled.py fails if a Django upgrade changes them.
        queryset._result_cache = rows
        queryset._prefetch_done = True
        cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
        cache[field.remote_field.cache_name] = queryset
        return rows

    def first(self, **values: Any) -> M | None:
        """The first row for ``values`` (the builder orders and limits), or None."""
        rows = self.fetch(**values)
        return rows[0] if rows else None

    def _for_alias(self) -> _Compiled:
        alias = self._alias
        if alias is not None and alias in self._compiled:
            return self._compiled[alias]
        with self._lock:
            draws = [
                {
                    name: _stand_in(name, kind, index, draw)
                    for index, (name, kind) in enumerate(self._kinds.items())
                }
                for draw in (0, 1)
            ]
            querysets = [self._build(**values) for values in draws]
            alias = querysets[0].db
            if alias not in self._compiled:
                self._compiled[alias] = self._compile(querysets, draws)
            self._alias = alias
            return self._compiled[alias]

    @staticmethod
    def _compile(querysets: list[models.QuerySet[Any]], draws: list[dict[str, Any]]) -> _Compiled:
        compilers = [qs.query.get_compiler(using=qs.db) for qs in querysets]
        (sql, params), (other_sql, other_params) = (c.as_sql() for c in compilers)
        if sql != other_sql or len(params) != len(other_params):
            raise ImproperlyConfigured(f"CompiledQuery: the SQL changes with the values: {sql}")
        slots = []
        for index, (first, second) in enumerate(zip(params, other_params, strict=True)):
            if first == second and type(first) is type(second):
                continue
            name = next(
                (
                    n
                    for n in draws[0]
                    if (type(first), first, type(second), second)
                    == (type(draws[0][n]), draws[0][n], type(draws[1][n]), draws[1][n])
                ),
                None,
            )
            if name is None:
                raise ImproperlyConfigured(
                    f"CompiledQuery: a value is changed by the builder or its lookup ({first!r}); "
                    "only exact lookups on the value as given can be compiled once"
                )
            slots.append((index, name))
        missing = set(draws[0]) - {name for _, name in slots}
        if missing:
            raise ImproperlyConfigured(
                f"CompiledQuery: {sorted(missing)} not in the SQL's parameters"
            )
        return _Compiled(
            queryset=querysets[0],
            compiler=compilers[0],
            sql=sql,
            params=tuple(params),
            slots=tuple(slots),
        )


class CompiledUpdate(Generic[M]):
    """``UPDATE`` of some fields of rows by primary key, its SQL built once a database alias:
    what ``QuerySet.bulk_update`` (a ``CASE`` compiled on every call) or ``Model.save`` (every
    field, compiled on every call) write, for the writes a rush makes by the hundred a second.

    Like ``bulk_update`` it sends no signals and calls no ``save()``. A field whose value Django
    fills in on saving (``auto_now``) is refused: nothing here would fill it in."""

    def __init__(self, model: type[M], fields: tuple[str, ...]) -> None:
        self.model = model
        columns: list[models.Field[Any, Any]] = []
        for name in fields:
            field = model._meta.get_field(name)
            if (
                not isinstance(field, models.Field)
                or not field.concrete
                or field.primary_key
                or getattr(field, "auto_now", False)
            ):
                raise ImproperlyConfigured(f"CompiledUpdate cannot write {field!r}")
            columns.append(field)
        self.fields = tuple(columns)
        self._sql: dict[str, str] = {}

    def run(self, rows: list[M], *, using: str | None = None) -> None:
        """Write the fields' current values of ``rows`` (each by its primary key)."""
        if not rows:
            return
        using = using or router.db_for_write(self.model)
        connection = connections[using]
        sql = self._sql.get(using)
        if sql is None:
            quote = connection.ops.quote_name
            meta = self.model._meta
            assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in self.fields)
            # Only names from the model's metadata go into the text; every value is a parameter.
            sql = self._sql[using] = (
                f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(str(meta.pk.column))} = %s"
            )
        params = [
            [
                field.get_db_prep_save(getattr(row, field.attname), connection)
                for field in self.fields
            ]
            + [row.pk]
            for row in rows
        ]
        with connection.cursor() as cursor:
            if len(params) == 1:
                cursor.execute(sql, params[0])
            else:
                cursor.executemany(sql, params)
