"""Single rows written with SQL built once per model: the purchase path's inserts and updates.

`Model.save()` builds its INSERT or UPDATE anew on every call (the query compiler, the returning
fields, the signals); on the purchase endpoint those were about 0.2 ms of CPU per row, a large
part of a purchase's cost in bench/earn.py. Here the statement text is made once per model and
field list and each call only prepares the values, with each field's own `get_db_prep_save`, so
what reaches the database is exactly what the ORM would send, on PostgreSQL and SQLite alike.

Rows written here are ordinary rows: no signals are sent (the project has no receivers for these
models) and a model's `save()` override does not run, so use this only for models whose `save()`
adds nothing to an insert (the ledger's models refuse updates in `save()`; an insert is allowed).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection, models


@functools.cache
def _insert_statement(
    model: type[models.Model], conflict_field: str | None
) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    fields = tuple(field for field in meta.concrete_fields if not field.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names are ours
    if conflict_field is not None:
        column = meta.get_field(conflict_field).column
        sql += f" ON CONFLICT ({quote(column)}) DO NOTHING"
    sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


# Text, integer, boolean and key fields holding a str, int, bool or None: preparing those is a
# no-op that still cost a few microseconds each (41 fields per purchase). Anything else is
# prepared as the ORM would.
_SIMPLE_FIELDS = (models.CharField, models.IntegerField, models.BooleanField, models.ForeignKey)
_SIMPLE_VALUES = (str, int, bool, type(None))


def _prepared(obj: models.Model, fields: tuple[models.Field, ...], *, add: bool) -> list:
    params = []
    for field in fields:
        value = getattr(obj, field.attname)
        if not (isinstance(field, _SIMPLE_FIELDS) and type(value) in _SIMPLE_VALUES):
            value = field.get_db_prep_save(field.pre_save(obj, add), connection)
        params.append(value)
    return params


def row_insert(obj: models.Model, *, unless_conflict_on: str | None = None) -> bool:
    """INSERT `obj` (its primary key must be automatic) and set its pk. With
    `unless_conflict_on` (a field with a unique index), a row already holding that value makes
    this insert nothing and return False, without aborting the transaction: the database decides
    between simultaneous inserts, no savepoint needed."""
    sql, fields = _insert_statement(type(obj), unless_conflict_on)
    params = _prepared(obj, fields, add=True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


@functools.cache
def _update_statement(
    model: type[models.Model], field_names: tuple[str, ...]
) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in field_names)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"  # noqa: S608 - names are ours
    return sql, fields


def row_update(obj: models.Model, *, fields: Sequence[str]) -> None:
    """UPDATE `fields` of the saved `obj` (auto_now fields are stamped, as `save()` would)."""
    sql, model_fields = _update_statement(type(obj), tuple(fields))
    params = _prepared(obj, model_fields, add=False)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount != 1:
            raise RuntimeError(f"{obj._meta.label} {obj.pk} was not updated")
