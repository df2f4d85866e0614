"""Calendar months on the program's wall clock: expiry dates, qualification windows and tier
reviews all count in them."""

from __future__ import annotations

import calendar
import datetime

from django.utils import timezone


def months_after(moment: datetime.datetime, months: int, *, zone) -> datetime.datetime:
    """`moment` plus whole calendar months, read on the program's wall clock (31 Jan + 1 month is
    the last day of February)."""
    local = moment.astimezone(zone)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None).replace(year=year, month=month, day=day)
    return timezone.make_aware(naive, zone)
