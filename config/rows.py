"""Single rows read and written with SQL built once per model, for the hottest paths (an API
request's key, a purchase's member, account lock, inserts and balance update).

Reading: `QuerySet.first()` compiles its query on every call and `Manager.raw()` works out the
model's columns and converters on every call; each was 0.3-0.7 ms of CPU per query in
bench/earn.py's profile. `row_get` builds its SELECT and the fields' converters once per model.

Writing: `Model.save()` builds its INSERT or UPDATE anew on every call (the query compiler, the
returning fields, the signals); on the purchase endpoint those were about 0.2 ms of CPU per row.
Here the statement text is made once per model and field list and each call only prepares the
values, with each field's own `get_db_prep_save`, so what reaches the database is exactly what
the ORM would send, on PostgreSQL and SQLite alike.

Rows written here are ordinary rows: no signals are sent (the project has no receivers for these
models) and a model's `save()` override does not run, so use this only for models whose `save()`
adds nothing to an insert (the ledger's models refuse updates in `save()`; an insert is allowed).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from django.db import connection, models


@functools.cache
def _select_statement(
    model: type[models.Model], where: str, for_update: bool
) -> tuple[str, list[str], list[tuple[int, models.expressions.Col, list[Callable]]]]:
    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where}"  # noqa: S608 - ours
    if for_update and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return sql, [field.attname for field in fields], converters


def row_get(
    model: type[models.Model], where: str, params: Sequence, *, for_update: bool = False
) -> models.Model | None:
    """The one row of `model` matching `where` (SQL over its columns, with %s parameters), or
    None; with `for_update`, locked until the transaction ends (where the database can). The
    values are converted as the ORM converts them."""
    sql, names, converters = _select_statement(model, where, for_update)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for index, column, functions in converters:
            for function in functions:
                row[index] = function(row[index], column, connection)
    return model.from_db(connection.alias, names, row)


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


def rows_insert_linked(
    parent: models.Model,
    child: models.Model,
    *,
    link: str,
    update: models.Model,
    update_fields: Sequence[str],
) -> None:
    """INSERT `parent`, then `child` with its foreign key `link` pointing at the new parent, and
    UPDATE `update_fields` of `update`: on PostgreSQL one statement (data-modifying CTEs, one
    round trip instead of three: a ledger entry, its lot and the balance); elsewhere one each.
    Sets both primary keys."""
    link_field = child._meta.get_field(link)
    if connection.vendor != "postgresql":
        row_insert(parent)
        setattr(child, link_field.attname, parent.pk)
        row_insert(child)
        row_update(update, fields=update_fields)
        return
    parent_sql, parent_fields = _insert_statement(type(parent), None)
    child_fields = tuple(
        field for field in _insert_statement(type(child), None)[1] if field is not link_field
    )
    quote = connection.ops.quote_name
    child_table = quote(child._meta.db_table)
    child_columns = ", ".join(quote(field.column) for field in [*child_fields, link_field])
    child_values = ", ".join(["%s"] * len(child_fields))
    parent_pk = f"parent.{quote(parent._meta.pk.column)}"
    child_sql = f"INSERT INTO {child_table} ({child_columns}) SELECT {child_values}, {parent_pk}"
    update_sql, update_model_fields = _update_statement(type(update), tuple(update_fields))
    child_pk = quote(child._meta.pk.column)
    sql = " ".join(
        [
            f"WITH parent AS ({parent_sql}),",
            f"child AS ({child_sql} FROM parent RETURNING {child_pk}),",
            f"updated AS ({update_sql} RETURNING 1)",
            "SELECT (SELECT * FROM parent), (SELECT * FROM child), (SELECT count(*) FROM updated)",
        ]
    )
    params = [
        *_prepared(parent, parent_fields, add=True),
        *_prepared(child, child_fields, add=True),
        *_prepared(update, update_model_fields, add=False),
        update.pk,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        parent_pk, child_pk, updated = cursor.fetchone()
    if updated != 1:
        raise RuntimeError(f"{update._meta.label} {update.pk} was not updated")
    for obj, pk in ((parent, parent_pk), (child, child_pk)):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    setattr(child, link_field.attname, parent_pk)
