"""Rows read and written with SQL built once per call site, for the hottest paths (an API
request's key; a purchase's account lock, and its purchase, entry, lot and balances).

Reading: `QuerySet.first()` compiles its query on every call and `Manager.raw()` works out the
model's columns and converters on every call; each was 0.3-0.7 ms of CPU per query in
bench/earn.py's profile. `row_get` (one model) and `rows_get` (a join, as model instances) build
their SELECT and the fields' converters once.

Writing: `Model.save()` builds its INSERT or UPDATE anew on every call (the query compiler, the
returning fields, the signals); on the purchase endpoint those were about 0.2 ms of CPU per row.
Here the statement text is made once per model and field list and each call only prepares the
values, with each field's own `get_db_prep_save`, so what reaches the database is exactly what
the ORM would send, on PostgreSQL and SQLite alike. `rows_insert_chain` writes linked rows and
an update in one statement on PostgreSQL.

On PostgreSQL these statements are prepared (`_cursor`): planned once per connection.

Rows written here are ordinary rows: no signals are sent (the project has no receivers for these
models) and a model's `save()` override does not run, so use this only for models whose `save()`
adds nothing to an insert (the ledger's models refuse updates in `save()`; an insert is allowed).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models.sql import Query
from psycopg.pq import PipelineStatus

_Converters = list[tuple[int, models.expressions.Col, list[Callable]]]


def _cursor():
    """A cursor for the statements built here. On PostgreSQL (psycopg 3) they bind their
    parameters on the server and are prepared: each is parsed and planned once per connection,
    not on every request (planning was 0.2-0.3 ms of PostgreSQL's CPU for a purchase's lock
    and write). Django's cursor wrapper is kept, so errors, query logging and execute wrappers
    behave as for any query. settings.DB_PREPARED_STATEMENTS turns it off."""
    if connection.vendor != "postgresql" or not settings.DB_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    return connection._prepare_cursor(_prepared_cursor_class()(connection.connection))


@functools.cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

    return PreparedCursor


@functools.cache
def _columns(model: type[models.Model], alias: str) -> tuple[str, list[str], _Converters]:
    """`model`'s columns qualified by `alias` (a table name or alias, quoted), their attribute
    names, and the converters the ORM applies to them (by position)."""
    meta = model._meta
    fields = meta.concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(f"{alias}.{quote(field.column)}" for field in fields)
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, column, found))
    return columns, [field.attname for field in fields], converters


def _instance(model: type[models.Model], alias: str, values: Sequence) -> models.Model:
    _, names, converters = _columns(model, alias)
    if converters:
        values = list(values)
        for index, column, functions in converters:
            for function in functions:
                values[index] = function(values[index], column, connection)
    return model.from_db(connection.alias, names, values)


@functools.cache
def _select_statement(
    sources: tuple[tuple[type[models.Model], str], ...],
    from_: str,
    where: str,
    extra: tuple[str, ...],
    lock: str | None,
    no_key: bool = False,
) -> str:
    select = ", ".join([_columns(model, alias)[0] for model, alias in sources] + list(extra))
    sql = f"SELECT {select} FROM {from_} WHERE {where}"  # noqa: S608 - ours
    if lock is not None and connection.features.has_select_for_update:
        weaker = no_key and connection.vendor == "postgresql"
        sql += " FOR NO KEY UPDATE" if weaker else " FOR UPDATE"
        if lock and connection.features.has_select_for_update_of:
            sql += f" OF {lock}"
    return sql


def row_get(
    model: type[models.Model], where: str, params: Sequence, *, for_update: bool = False
) -> models.Model | None:
    """The one row of `model` matching `where` (SQL over its columns, with %s parameters), or
    None; with `for_update`, locked until the transaction ends (where the database can). The
    values are converted as the ORM converts them."""
    table = connection.ops.quote_name(model._meta.db_table)
    found = rows_get(
        [(model, table)], table, where, params, for_update_of="" if for_update else None
    )
    return found[0][0] if found is not None else None


def rows_get(
    sources: Sequence[tuple[type[models.Model], str]],
    from_: str,
    where: str,
    params: Sequence,
    *,
    extra: Sequence[str] = (),
    for_update_of: str | None = None,
    no_key: bool = False,
) -> tuple[list[models.Model], tuple] | None:
    """One row of a join as model instances, or None: `sources` are (model, alias) pairs named
    in `from_` (SQL, which may join subqueries), and `extra` are more SQL expressions to select,
    returned as a tuple after the instances. `params` fill the %s of `extra`, `from_` and
    `where`, in that order. With `for_update_of` (an alias, or "" for every table) the row is
    locked until the transaction ends; `no_key` takes PostgreSQL's weaker FOR NO KEY UPDATE
    (rows referring to the locked one may still be inserted meanwhile). Values are converted as
    the ORM converts them."""
    sources = tuple(sources)
    sql = _select_statement(sources, from_, where, tuple(extra), for_update_of, no_key)
    with _cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model, alias in sources:
        width = len(model._meta.concrete_fields)
        instances.append(_instance(model, alias, row[start : start + width]))
        start += width
    return instances, tuple(row[start:])


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
        sql += _unless_conflict(model, conflict_field)
    sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


@functools.cache
def _unless_conflict(model: type[models.Model], on: str) -> str:
    """The ON CONFLICT ... DO NOTHING clause for `on`: a field with a unique index, or the name
    of one of the model's UniqueConstraints, a partial one (with a condition) included, whose
    condition is then part of the target so that the database finds its index. The condition's
    values are written into the statement (an index is matched on literals, not parameters)."""
    quote = connection.ops.quote_name
    for constraint in model._meta.constraints:
        if isinstance(constraint, models.UniqueConstraint) and constraint.name == on:
            columns = ", ".join(
                quote(model._meta.get_field(name).column) for name in constraint.fields
            )
            target = f"({columns})"
            if constraint.condition is not None:
                query = Query(model=model, alias_cols=False)
                where = query.build_where(constraint.condition)
                compiler = query.get_compiler(connection=connection)
                condition, params = where.as_sql(compiler, connection)
                editor = connection.schema_editor()  # for quote_value only: not entered
                literals = tuple(editor.quote_value(param) for param in params)
                target += f" WHERE {condition % literals}"
            return f" ON CONFLICT {target} DO NOTHING"
    return f" ON CONFLICT ({quote(model._meta.get_field(on).column)}) DO NOTHING"


# Text, integer, boolean and key fields holding a str, int, bool or None: preparing those is a
# no-op that still cost a few microseconds each (41 fields per purchase). Anything else is
# prepared as the ORM would.
_SIMPLE_FIELDS = (models.CharField, models.IntegerField, models.BooleanField, models.ForeignKey)
_SIMPLE_VALUES = (str, int, bool, type(None))


def _is_simple(field: models.Field, value) -> bool:
    return isinstance(field, _SIMPLE_FIELDS) and type(value) in _SIMPLE_VALUES


def _prepared(obj: models.Model, fields: tuple[models.Field, ...], *, add: bool) -> list:
    params = []
    for field in fields:
        value = getattr(obj, field.attname)
        if not _is_simple(field, value):
            value = field.get_db_prep_save(field.pre_save(obj, add), connection)
        params.append(value)
    return params


def row_insert(obj: models.Model, *, unless_conflict_on: str | None = None) -> bool:
    """INSERT `obj` (its primary key must be automatic) and set its pk. With
    `unless_conflict_on` (a field with a unique index, or the name of one of the model's unique
    constraints), a row already holding that value makes this insert nothing and return False,
    without aborting the transaction: the database decides between simultaneous inserts, no
    savepoint needed."""
    sql, fields = _insert_statement(type(obj), unless_conflict_on)
    params = _prepared(obj, fields, add=True)
    with _cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    _stored(obj, row[0])
    return True


def _stored(obj: models.Model, pk) -> None:
    """Mark `obj` as the row just inserted with primary key `pk`, as `save()` would."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


def _update_statement(
    model: type[models.Model], field_names: tuple[str, ...]
) -> tuple[str, tuple[models.Field, ...]]:
    """UPDATE `field_names` of the row whose primary key is the last parameter."""
    where = f"{connection.ops.quote_name(model._meta.pk.column)} = %s"
    return _update_where_statement(model, field_names, (), where)


def row_update(obj: models.Model, *, fields: Sequence[str]) -> None:
    """UPDATE `fields` of the saved `obj` (auto_now fields are stamped, as `save()` would)."""
    sql, model_fields = _update_statement(type(obj), tuple(fields))
    params = _prepared(obj, model_fields, add=False)
    with _cursor() as cursor:
        cursor.execute(sql, [*params, obj.pk])
        if cursor.rowcount != 1:
            raise RuntimeError(f"{obj._meta.label} {obj.pk} was not updated")


@functools.cache
def _update_where_statement(
    model: type[models.Model], field_names: tuple[str, ...], increments: tuple[str, ...], where: str
) -> tuple[str, tuple[models.Field, ...]]:
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in field_names)
    quote = connection.ops.quote_name
    assignments = [f"{quote(field.column)} = %s" for field in fields]
    for name in increments:
        column = quote(meta.get_field(name).column)
        assignments.append(f"{column} = {column} + 1")
    sql = f"UPDATE {quote(meta.db_table)} SET {', '.join(assignments)} WHERE {where}"  # noqa: S608 - ours
    return sql, fields


def rows_update_where(
    model: type[models.Model],
    values: dict[str, object],
    where: str,
    params: Sequence,
    *,
    increments: Sequence[str] = (),
) -> Callable[[], int]:
    """UPDATE the rows of `model` matching `where` (SQL over its columns, with %s `params`):
    set each field named in `values` to its value (prepared as the ORM prepares it) and add 1
    to each field named in `increments`. A conditional update (the row is still ours) is one
    statement, built once per call site. Returns a function answering how many rows were
    updated: inside `statements_pipelined` the answer comes with a later statement's (calling
    it sooner waits for this one's)."""
    names = tuple(values)
    sql, fields = _update_where_statement(model, names, tuple(increments), where)
    prepared = []
    for field, name in zip(fields, names, strict=True):
        value = values[name]
        prepared.append(
            value if _is_simple(field, value) else field.get_db_prep_save(value, connection)
        )
    cursor = _cursor()
    try:
        cursor.execute(sql, [*prepared, *params])
    except BaseException:
        cursor.close()
        raise

    answer: list[int] = []

    def updated() -> int:
        if not answer:
            if cursor.rowcount < 0:  # pipelined, not answered yet
                connection.connection._pipeline.sync()
            answer.append(cursor.rowcount)
            cursor.close()
        return answer[0]

    return updated


@contextlib.contextmanager
def statements_pipelined() -> Iterator[None]:
    """Send the statements run inside without waiting for each answer (PostgreSQL's pipeline
    mode): psycopg reads the answers when a result is needed (a fetch) and at the end, so a
    transaction's independent statements cost one round trip together instead of one each
    (0.3 ms apiece on these machines: the sender's update and lock). Use inside
    `transaction.atomic()`; errors surface at the next fetch or at the end, still inside it.
    On other databases the statements run one by one, as usual."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


@contextlib.contextmanager
def savepoint_pipelined() -> Iterator[None]:
    """`transaction.atomic()` around a part that may fail and be rolled back alone, under
    `statements_pipelined` too. There a failed statement aborts the pipeline: every statement
    after it, the rollback to the savepoint included, fails with "pipeline aborted". So on a
    database error the pipeline is synced first (the error has been raised already), which
    leaves the transaction failed but able to roll back to the savepoint."""
    with transaction.atomic():
        try:
            yield
        except DatabaseError:
            _pipeline_recover()
            raise


def _pipeline_recover() -> None:
    raw = connection.connection
    if connection.vendor != "postgresql" or raw is None:
        return
    if raw.info.pipeline_status != PipelineStatus.ABORTED:
        return
    with contextlib.suppress(psycopg.Error):
        raw._pipeline.sync()


def _link_sources(rows: Sequence[models.Model]) -> tuple[tuple[tuple[models.Field, int], ...], ...]:
    """For each row, its foreign keys that point at an earlier row of `rows` (by identity: the
    field's cached related object is that row), with that row's index."""
    links = []
    for index, row in enumerate(rows):
        found = []
        for field in row._meta.concrete_fields:
            if field.many_to_one:
                related = field.get_cached_value(row, default=None)
                for source in range(index):
                    if related is rows[source]:
                        found.append((field, source))
        links.append(tuple(found))
    return tuple(links)


@functools.cache
def _chain_statement(
    models_: tuple[type[models.Model], ...],
    links: tuple[tuple[tuple[models.Field, int], ...], ...],
    conflict_field: str | None,
    update: tuple[type[models.Model], tuple[str, ...]] | None,
    select: str | None,
) -> tuple[str, tuple[tuple[models.Field, ...], ...], tuple[models.Field, ...]]:
    quote = connection.ops.quote_name
    ctes, value_fields = [], []
    for index, model in enumerate(models_):
        linked = dict(links[index])
        fields = tuple(f for f in _insert_statement(model, None)[1] if f not in linked)
        value_fields.append(fields)
        table = quote(model._meta.db_table)
        pk = quote(model._meta.pk.column)
        columns = ", ".join(quote(f.column) for f in [*fields, *linked])
        values = ", ".join(
            ["%s"] * len(fields)
            + [f"r{source}.{quote(models_[source]._meta.pk.column)}" for source in linked.values()]
        )
        if index == 0:
            sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608 - ours
            if conflict_field is not None:
                sql += _unless_conflict(model, conflict_field)
        else:
            # From the first row always: nothing after it is written when it is not.
            sources = ", ".join(f"r{source}" for source in sorted({0, *linked.values()}))
            sql = f"INSERT INTO {table} ({columns}) SELECT {values} FROM {sources}"  # noqa: S608
        ctes.append(f"r{index} AS ({sql} RETURNING {pk})")
    results = [f"(SELECT * FROM r{index})" for index in range(len(models_))]  # noqa: S608
    update_fields: tuple[models.Field, ...] = ()
    if update is not None:
        update_sql, update_fields = _update_statement(*update)
        condition = "AND EXISTS (SELECT 1 FROM r0)"
        ctes.append(f"updated AS ({update_sql} {condition} RETURNING 1)")
        results.append("(SELECT count(*) FROM updated)")
    if select is not None:
        results.append(f"({select})")
    sql = f"WITH {', '.join(ctes)} SELECT {', '.join(results)}"
    return sql, tuple(value_fields), update_fields


def rows_insert_chain(
    rows: Sequence[models.Model],
    *,
    unless_conflict_on: str | None = None,
    update: models.Model | None = None,
    update_fields: Sequence[str] = (),
    select: tuple[str, Sequence] | None = None,
) -> tuple[bool, object]:
    """INSERT `rows` in order, each row's foreign keys to an earlier row of `rows` pointing at
    that row once inserted; then UPDATE `update_fields` of `update`. On PostgreSQL one statement
    (data-modifying CTEs: one round trip instead of one per row); elsewhere one each. Sets the
    primary keys and the linking foreign keys.

    With `unless_conflict_on` (a field of the first row with a unique index, or the name of one
    of its model's unique constraints), a first row already stored makes this write nothing at
    all, without aborting the transaction.
    `select` (SQL returning one value, and its parameters) is answered as the database stood
    before these writes, on every database. Returns (written, the value of `select` or None).
    """
    links = _link_sources(rows)
    if connection.vendor != "postgresql":
        selected = _select_value(select)
        if not row_insert(rows[0], unless_conflict_on=unless_conflict_on):
            return False, selected
        for row, row_links in zip(rows[1:], links[1:], strict=True):
            for field, source in row_links:
                setattr(row, field.attname, rows[source].pk)
            row_insert(row)
        if update is not None:
            row_update(update, fields=update_fields)
        return True, selected
    update_key = (type(update), tuple(update_fields)) if update is not None else None
    sql, value_fields, model_update_fields = _chain_statement(
        tuple(type(row) for row in rows),
        links,
        unless_conflict_on,
        update_key,
        select[0] if select is not None else None,
    )
    params = []
    for row, fields in zip(rows, value_fields, strict=True):
        params += _prepared(row, fields, add=True)
    if update is not None:
        params += [*_prepared(update, model_update_fields, add=False), update.pk]
    if select is not None:
        params += list(select[1])
    with _cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchone()
    pks = result[: len(rows)]
    selected = result[-1] if select is not None else None
    if pks[0] is None:
        return False, selected
    if update is not None and result[len(rows)] != 1:
        raise RuntimeError(f"{update._meta.label} {update.pk} was not updated")
    for row, pk, row_links in zip(rows, pks, links, strict=True):
        _stored(row, pk)
        for field, source in row_links:
            setattr(row, field.attname, rows[source].pk)  # sources come first: pk already set
    return True, selected


def _select_value(select: tuple[str, Sequence] | None):
    if select is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(*select)
        return cursor.fetchone()[0]
