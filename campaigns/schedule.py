"""When a campaign's message is due for one member, and whether the member is in its holdout
(CAMPAIGNS.md: Schedule, Holdout). Pure functions: the sender stores their answers as due times
on the delivery rows, never as Celery ETAs.
"""

from __future__ import annotations

import datetime
import hashlib
import zoneinfo
from decimal import Decimal


def local_due_at(
    *, local_time: datetime.time, zone: zoneinfo.ZoneInfo, start: datetime.datetime
) -> datetime.datetime:
    """The first moment at or after `start` when the member's clock (in `zone`) shows
    `local_time`. On the day clocks go forward, a wall time that does not exist (02:30 in
    Madrid on the last Sunday of March) is taken as the same time after the jump (03:30, one
    real hour after 01:30); on the day they go back, a wall time that happens twice is the first.
    Either way each member gets one due time per day: a send is neither skipped nor doubled."""
    local_start = start.astimezone(zone)
    day = local_start.date()
    for offset in (0, 1, 2):  # today if still ahead, else tomorrow (2: a gap at midnight)
        due = _wall_clock(day + datetime.timedelta(days=offset), local_time, zone)
        if due >= start:
            return due
    raise AssertionError("unreachable: a day always has the wall time, or the one after it")


def _wall_clock(
    day: datetime.date, local_time: datetime.time, zone: zoneinfo.ZoneInfo
) -> datetime.datetime:
    """`local_time` on `day` in `zone`, in UTC. fold=0 (PEP 495) reads a repeated wall time as
    the first, and a skipped one with the offset from before the jump, which lands the same
    distance past the jump (02:30 CET on the spring-forward day is 03:30 CEST)."""
    naive = datetime.datetime.combine(day, local_time.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=zone).astimezone(datetime.UTC)


def month_bounds(year: int, month: int, zone) -> tuple[datetime.datetime, datetime.datetime]:
    """The month's start and the next month's start on `zone`'s calendar, as aware datetimes
    (the monthly statement's month: its scan and its message read the same one)."""
    start = datetime.datetime(year, month, 1, tzinfo=zone)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return start, following


def in_holdout(*, campaign_key: str, member_key: str, percent: Decimal | int) -> bool:
    """Whether a member belongs to a campaign's holdout: a stable hash of (campaign, member) in
    basis points, below `percent` times 100. A member always gets the same answer for the same
    campaign (a re-run, a resumed campaign); different campaigns hold out different members."""
    percent = Decimal(percent)
    if percent <= 0:
        return False
    digest = hashlib.sha256(f"{campaign_key}:{member_key}".encode()).digest()
    basis_points = int.from_bytes(digest[:8], "big") % 10_000
    return basis_points < percent * 100
