"""The points-expiring notice (CAMPAIGNS.md, Automations): `warn_days` (the program's expiry
setting) before points expire, the member is told how many and when, at 09:00 on their clock.

A daily scan finds the members with points expiring within `warn_days` (the rolling policy: lots
expiring in the window; the inactivity policy: everything held, when the inactivity deadline
falls in it) and queues one notice whose occasion is the soonest expiry date. A member whose
points expire a little every week (rolling expiry, weekly purchases) is told at most once per
`warn_days`: a notice queued within that time covers the dates that follow it.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.merge_values import expiring_soonest
from campaigns.models import AutomationCode, CampaignChannel, Delivery
from campaigns.schedule import local_due_at
from campaigns.selectors.automations import automation_enabled
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import PointsLot
from loyalty.rules.expiry import is_inactivity_expiry
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from members.models import Member, MemberStatus

POINTS_EXPIRING = AutomationCode.POINTS_EXPIRING.value
SEND_AT = datetime.time(9, 0)
DEFAULT_WARN_DAYS = 30
BATCH_SIZE = 1000


def points_expiring_queue(*, at: datetime.datetime | None = None) -> int:
    """Queue the notice of every member with points expiring within `warn_days` who has had
    none in that time. Returns how many; nothing when the automation is off or points never
    expire."""
    at = at or timezone.now()
    program = program_in_force(at=at)
    if (
        program is None
        or program.expiry.policy == "none"
        or not automation_enabled(POINTS_EXPIRING)
    ):
        return 0
    warn = datetime.timedelta(days=program.expiry.warn_days or DEFAULT_WARN_DAYS)
    lots = PointsLot.objects.filter(remaining__gt=0, member__status=MemberStatus.ACTIVE)
    if not is_inactivity_expiry(program):
        lots = lots.filter(expires_at__gt=at, expires_at__lte=at + warn)
    candidates = sorted(set(lots.values_list("member_id", flat=True)))
    queued = 0
    for start in range(0, len(candidates), BATCH_SIZE):
        queued += _batch_queue(candidates[start : start + BATCH_SIZE], program, at, warn)
    return queued


def _batch_queue(member_ids: list[int], program, at: datetime.datetime, warn) -> int:
    told_lately = set(
        Delivery.objects.filter(
            automation=POINTS_EXPIRING,
            campaign__isnull=True,
            member_id__in=member_ids,
            created_at__gt=at - warn,
        ).values_list("member_id", flat=True)
    )
    members = list(
        Member.objects.filter(pk__in=[pk for pk in member_ids if pk not in told_lately]).only(
            "pk", "joined_at", "time_zone"
        )
    )
    soonest = expiring_soonest(program, members, at)
    rows = []
    for member in members:
        found = soonest.get(member.pk)
        if found is None:
            continue
        day, _points = found
        zone = member_time_zone(member=member, program=program)
        rows.append(
            delivery_new(
                member_id=member.pk,
                automation=POINTS_EXPIRING,
                occasion=day.isoformat(),
                channel=CampaignChannel.EMAIL,
                due_at=local_due_at(local_time=SEND_AT, zone=zone, start=at),
            )
        )
    with transaction.atomic():
        deliveries_queue(rows)
    return len(rows)
