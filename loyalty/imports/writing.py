"""Inserting an import's rows fast: PostgreSQL's COPY, with the ids drawn from the table's sequence
first so that the next table's rows can point at them.

`bulk_create` on PostgreSQL sends each column as an array that psycopg quotes value by value in
Python (a breakdown's JSON is quoted character by character): that was 60% of an import's time.
Elsewhere (SQLite in development) it falls back to `bulk_create`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models


class JsonText(str):
    """A JSON column's value already serialized (one breakdown goes to two tables)."""


def _json(value: Any) -> str:
    return value if isinstance(value, JsonText) else json.dumps(value)


class TableWriter:
    """Rows of `model` given as tuples in the order of `fields` (attribute names: `member_id`,
    not `member`); the id is drawn here."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]):
        self.model = model
        self.fields = list(fields)
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        self.json_positions = [
            index
            for index, name in enumerate(self.fields)
            if isinstance(by_attname[name], models.JSONField)
        ]
        self.columns = [by_attname[name].column for name in self.fields]
        # Columns not given get the model's default (Django's defaults are not the database's).
        self.defaulted = [
            field
            for field in model._meta.concrete_fields
            if field.attname not in self.fields and not field.primary_key
        ]

    def insert(self, rows: list[tuple[Any, ...]]) -> list[int]:
        """Insert `rows`; returns their ids, in order."""
        if not rows:
            return []
        if connection.vendor != "postgresql":
            objects = self.model._default_manager.bulk_create(
                [
                    self.model(
                        **{
                            name: json.loads(value) if isinstance(value, JsonText) else value
                            for name, value in zip(self.fields, row, strict=True)
                        }
                    )
                    for row in rows
                ]
            )
            return [obj.pk for obj in objects]
        table = self.model._meta.db_table
        pk_column = self.model._meta.pk.column
        with connection.cursor() as cursor:
            # One array rather than a row per id: a thousand rows cost more to fetch.
            cursor.execute(
                "SELECT array_agg(nextval(pg_get_serial_sequence(%s, %s))) "
                "FROM generate_series(1, %s)",
                [table, pk_column, len(rows)],
            )
            ids = cursor.fetchone()[0]
            defaults = tuple(field.get_default() for field in self.defaulted)
            columns = ", ".join(
                [pk_column, *self.columns, *(field.column for field in self.defaulted)]
            )
            # psycopg's own cursor: its errors are translated as Django's cursor does.
            copying = cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN")
            with connection.wrap_database_errors, copying as copy:
                for pk, row in zip(ids, rows, strict=True):
                    if self.json_positions:
                        row = list(row)
                        for index in self.json_positions:
                            row[index] = _json(row[index])
                    copy.write_row((pk, *row, *defaults))
        return ids
