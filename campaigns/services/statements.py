"""The monthly statement (CAMPAIGNS.md, Automations; off by default): on the 1st of the month at
09:00 on the member's clock, to every member with a movement of points the month before (the
program's calendar month), their movements with what each was, what expires soon and the next
tier. The occasion is the month (`2026-11`): once per member and month.

An hourly scan on the first two days of the month queues the statement of the members whose
local time has reached 09:00 on the 1st (the second day catches the zones behind UTC and a
scan missed); a member with a statement row for the month is passed over.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.models import AutomationCode, CampaignChannel, Delivery
from campaigns.schedule import month_bounds
from campaigns.selectors.automations import automation_enabled
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import LedgerEntry
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from members.models import Member, MemberStatus

MONTHLY_STATEMENT = AutomationCode.MONTHLY_STATEMENT.value
SEND_AT = datetime.time(9, 0)
BATCH_SIZE = 2000


def month_before(day: datetime.date) -> tuple[int, int]:
    first = day.replace(day=1) - datetime.timedelta(days=1)
    return first.year, first.month


def _is_statement_time(local: datetime.datetime) -> bool:
    """The 1st of the month from 09:00, or the 2nd (catching up), on the member's clock."""
    return (local.day == 1 and local.time() >= SEND_AT) or local.day == 2


def statements_queue(*, at: datetime.datetime | None = None) -> int:
    """Queue last month's statement of every member with a movement in it whose clock shows the
    1st of this month from 09:00 (or the 2nd). Returns how many."""
    at = at or timezone.now()
    program = program_in_force(at=at)
    if program is None or not automation_enabled(MONTHLY_STATEMENT):
        return 0
    today = at.astimezone(datetime.UTC).date()
    # Every local date some zone is living now; those on a 1st or a 2nd state the month before.
    months = {
        month_before(day)
        for day in (today - datetime.timedelta(days=1), today, today + datetime.timedelta(days=1))
        if day.day in (1, 2)
    }
    return sum(_month_queue(year, month, program, at) for year, month in sorted(months))


def _month_queue(year: int, month: int, program, at: datetime.datetime) -> int:
    start, end = month_bounds(year, month, program.zone)
    occasion = f"{year:04d}-{month:02d}"
    moved = set(
        LedgerEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values_list(
            "member_id", flat=True
        )
    )
    told = set(
        Delivery.objects.filter(
            automation=MONTHLY_STATEMENT, campaign__isnull=True, occasion=occasion
        ).values_list("member_id", flat=True)
    )
    candidates = sorted(moved - told)
    queued = 0
    for first in range(0, len(candidates), BATCH_SIZE):
        members = Member.objects.filter(
            pk__in=candidates[first : first + BATCH_SIZE], status=MemberStatus.ACTIVE
        ).only("pk", "time_zone")
        rows = []
        for member in members:
            local = at.astimezone(member_time_zone(member=member, program=program))
            if _is_statement_time(local) and month_before(local.date()) == (year, month):
                rows.append(
                    delivery_new(
                        member_id=member.pk,
                        automation=MONTHLY_STATEMENT,
                        occasion=occasion,
                        channel=CampaignChannel.EMAIL,
                        due_at=at,
                    )
                )
        with transaction.atomic():
            deliveries_queue(rows)
        queued += len(rows)
    return queued
