"""Reads of tiers: the tier a member held at a moment (from the history) and the qualifying
total of the window ending at a moment. The rules that decide on them are loyalty.rules.tiers; the
writes, loyalty.services.tiers."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection

from loyalty.definition import ProgramDefinition
from loyalty.models import TierChange
from loyalty.rules.tiers import qualification_window_start, qualifying_total_value, tier_in_history


def tier_at(*, member, at: datetime.datetime, program: ProgramDefinition) -> str | None:
    """The member's tier at `at` from the history; the program's lowest tier before any change,
    None for a program without tiers."""
    return tier_in_history(program, tier_history(member=member, at=at), at)


def tier_history(*, member, at: datetime.datetime):
    """The member's latest tier change at or before `at`, as `tier_in_history` reads it."""
    changes = TierChange.objects.filter(member=member, at__lte=at).order_by("-at", "-pk")
    return changes.values_list("at", "pk", "to_code")[:1]


def qualifying_total(*, member, program: ProgramDefinition, at: datetime.datetime) -> Decimal:
    """Spend (net of refunds) or purchase points in the qualification window ending at `at`.
    `member` is a Member or its pk."""
    with connection.cursor() as cursor:
        cursor.execute(*qualifying_total_query(member=member, program=program, at=at))
        (total,) = cursor.fetchone()
    return qualifying_total_value(program, total)


def qualifying_total_query(
    *, member, program: ProgramDefinition, at: datetime.datetime
) -> tuple[str, list]:
    """The SQL and parameters of `qualifying_total`, for a caller that asks it within another
    statement (a purchase's write); `qualifying_total_value` reads its answer."""
    start = qualification_window_start(program, at)
    adapt = connection.ops.adapt_datetimefield_value
    # Hand-written: every purchase asks it, and the ORM's aggregate cost 0.5 ms of CPU per
    # purchase in bench/earn.py. The (member, purchased_at) index answers it.
    sql = _POINTS_TOTAL_SQL if program.qualification_metric == "points" else _SPEND_TOTAL_SQL
    return sql, [getattr(member, "pk", member), adapt(start), adapt(at)]


_TOTAL_SQL = (
    "SELECT SUM({}) FROM loyalty_purchase"
    " WHERE member_id = %s AND purchased_at > %s AND purchased_at <= %s"
)
_SPEND_TOTAL_SQL = _TOTAL_SQL.format("amount - refunded_amount")
_POINTS_TOTAL_SQL = _TOTAL_SQL.format("points")
