"""The birthday automation (CAMPAIGNS.md, Automations): at 09:00 on the member's birthday, on
their own clock, the program's birthday bonus is credited and the birthday message queued, in one
transaction, once per member and year. The bonus is the program's (its birthday rule: no rule,
no points); the message is the automation's: turned off, the points still come, unannounced.

A periodic scan (every 15 minutes) finds the members whose local time has reached 09:00 on the
day their birthday is kept this year (members.birthdays: 29 February on 28 February in other
years; a birthday set or changed less than 30 days before counts from next year) and who have no
birthday row for the year yet. The year is the occasion: the delivery log's unique key and the
bonus's (`birthday:<year>`) make a scan run twice, two scans at once, or a daylight-saving day
(09:00 happens once on every day, whichever way the clocks move) give and tell each member once.
A member whose 09:00 passed while the scans were down is found by the next scan the same local
day; a whole day missed is not made up (a birthday message a day late is worse than none).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import AutomationCode, CampaignChannel, Delivery
from campaigns.selectors.automations import automation_get
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import LedgerEntry
from loyalty.selectors.ledger import bonus_points
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_in_force
from loyalty.services.ledger import event_bonus_award
from members.birthdays import birthday_gift_year, birthday_in
from members.models import Member, MemberStatus

BIRTHDAY = AutomationCode.BIRTHDAY.value
SEND_AT = datetime.time(9, 0)
BONUS_REASON = "birthday bonus"


def _days_around(at: datetime.datetime) -> list[datetime.date]:
    """Every local date some time zone is living at `at` (UTC-12 to UTC+14)."""
    today = at.astimezone(datetime.UTC).date()
    return [today - datetime.timedelta(days=1), today, today + datetime.timedelta(days=1)]


def _birthday_filter(days: list[datetime.date]) -> Q:
    """Members whose birthday is kept on one of `days`: that day and month, and 29 February
    on a 28 February of a year without one."""
    condition = Q()
    for day in days:
        condition |= Q(birth_month=day.month, birth_day=day.day)
        if birthday_in(month=2, day=29, year=day.year) == day:
            condition |= Q(birth_month=2, birth_day=29)
    return condition


def birthdays_due(*, at: datetime.datetime) -> list[tuple[int, int]]:
    """(member id, year) of every active member whose birthday gift is due at `at` and not
    given yet: their local date is the day their birthday is kept, their local time 09:00 or
    later, and no birthday row exists for the year."""
    program = program_in_force(at=at)
    candidates = (
        Member.objects.filter(_birthday_filter(_days_around(at)), status=MemberStatus.ACTIVE)
        .filter(user__is_active=True)
        .only("pk", "birth_day", "birth_month", "birthday_changed_at", "time_zone")
    )
    due = []
    for member in candidates:
        zone = member_time_zone(member=member, program=program)
        local = at.astimezone(zone)
        if local.time() < SEND_AT:
            continue
        changed_on = (
            member.birthday_changed_at.astimezone(zone).date()
            if member.birthday_changed_at
            else None
        )
        year = birthday_gift_year(
            month=member.birth_month,
            day=member.birth_day,
            today=local.date(),
            changed_on=changed_on,
        )
        if year is not None:
            due.append((member.pk, year))
    if not due:
        return []
    ids = [member_id for member_id, _year in due]
    told = set(
        Delivery.objects.filter(
            automation=BIRTHDAY, campaign__isnull=True, member_id__in=ids
        ).values_list("member_id", "occasion")
    )
    given = set(
        LedgerEntry.objects.filter(
            member_id__in=ids, bonus_key__in={f"birthday:{year}" for _id, year in due}
        ).values_list("member_id", "bonus_key")
    )
    return [
        (member_id, year)
        for member_id, year in due
        if (member_id, str(year)) not in told and (member_id, f"birthday:{year}") not in given
    ]


def birthdays_queue(*, at: datetime.datetime | None = None) -> int:
    """Credit the birthday bonus and queue the birthday message of every member whose gift is
    due (`birthdays_due`), each in its own transaction. Returns how many members were given
    their birthday (the message queued when the automation is on)."""
    at = at or timezone.now()
    automation = automation_get(BIRTHDAY)
    # Told when the automation is on and there is a gift to tell of: the program's bonus, or
    # the automation's own reward.
    announce = automation.enabled
    own_gift = automation.offer_reward_id is not None or bool(automation.offer_points)
    given = 0
    for member_id, year in birthdays_due(at=at):
        given += birthday_give(
            member_id=member_id, year=year, at=at, announce=announce, own_gift=own_gift
        )
    return given


def birthday_give(
    *, member_id: int, year: int, at: datetime.datetime, announce: bool, own_gift: bool = False
) -> bool:
    """The bonus and (`announce`) the message of `year`'s birthday for the member, together;
    False when another scan gave them first, or when there was nothing to give (no bonus, no
    `own_gift` of the automation)."""
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member_id)
        if Delivery.objects.filter(
            automation=BIRTHDAY, campaign__isnull=True, member_id=member_id, occasion=str(year)
        ).exists():
            return False
        entry = event_bonus_award(
            member=member, event="birthday", at=at, source_key=str(year), reason=BONUS_REASON
        )
        if entry is None and bonus_points(member_id=member_id, bonus_key=f"birthday:{year}"):
            return False  # given by another scan, which queued its message
        if not announce or (entry is None and not own_gift):
            return entry is not None
        deliveries_queue(
            [
                delivery_new(
                    member_id=member_id,
                    automation=BIRTHDAY,
                    occasion=str(year),
                    channel=CampaignChannel.EMAIL,
                    due_at=at,
                )
            ]
        )
    return True
