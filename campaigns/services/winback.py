"""The win-back (CAMPAIGNS.md, Automations; off by default): N days (the automation's delay,
default 90) after a member's last purchase, a marketing message, optionally with the
automation's reward. The occasion is that last purchase: a member who comes back and lapses
again is won back again, never twice for the same absence.

A daily scan looks at last purchases N to N+7 days old (a scan missed for a few days catches
up; turning the automation on does not write to every member who ever lapsed). Marketing: the
sender checks consent, quiet hours and the frequency cap at sending; each message is due at
10:00 on the member's clock.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from campaigns.models import AutomationCode, CampaignChannel, Delivery
from campaigns.schedule import local_due_at
from campaigns.selectors.automations import automation_get
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import Purchase
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from members.models import Member, MemberStatus

WIN_BACK = AutomationCode.WIN_BACK.value
SEND_AT = datetime.time(10, 0)
CATCH_UP = datetime.timedelta(days=7)


def win_backs_queue(*, at: datetime.datetime | None = None) -> int:
    """Queue the win-back of every active member whose last purchase is N days old (up to a
    week more) and who has none for it. Returns how many; nothing when the automation is off."""
    at = at or timezone.now()
    automation = automation_get(WIN_BACK)
    if not automation.enabled:
        return 0
    lapse = datetime.timedelta(days=automation.days)
    last = (
        Purchase.objects.filter(member__status=MemberStatus.ACTIVE)
        .values("member_id")
        .annotate(last=Max("purchased_at"))
        .filter(last__lte=at - lapse, last__gt=at - lapse - CATCH_UP)
    )
    by_member = {row["member_id"]: row["last"] for row in last}
    if not by_member:
        return 0
    purchases = {
        (member_id, purchased_at): pk
        for pk, member_id, purchased_at in Purchase.objects.filter(
            member_id__in=by_member
        ).values_list("pk", "member_id", "purchased_at")
        if by_member.get(member_id) == purchased_at
    }
    occasions = {member_id: purchases[(member_id, when)] for member_id, when in by_member.items()}
    done = set(
        Delivery.objects.filter(
            automation=WIN_BACK, campaign__isnull=True, member_id__in=occasions
        ).values_list("member_id", "occasion")
    )
    program = program_in_force(at=at)
    members = Member.objects.filter(pk__in=occasions).only("pk", "time_zone")
    rows = [
        delivery_new(
            member_id=member.pk,
            automation=WIN_BACK,
            occasion=str(occasions[member.pk]),
            channel=CampaignChannel.EMAIL,
            due_at=local_due_at(
                local_time=SEND_AT,
                zone=member_time_zone(member=member, program=program),
                start=at,
            ),
        )
        for member in members
        if (member.pk, str(occasions[member.pk])) not in done
    ]
    with transaction.atomic():
        deliveries_queue(rows)
    return len(rows)
