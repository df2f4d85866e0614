"""Ledger tasks. Thin: find the members with work due, call a service per member. Idempotent: each
service re-reads its work under the member's account lock and filters on state (a lot not yet
matured, a lot with points left, a review date reached), so a re-run,
a duplicate delivery or a retry after a crash changes nothing twice.

Periodic runs (declared here, installed by a migration like health.0002): `PERIODIC_TASKS`.
"""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from loyalty.models import EntryKind, LoyaltyAccount, PointsLot, Purchase
from loyalty.rules.expiry import inactivity_cutoff, is_inactivity_expiry
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.services import ledger, simulations, tiers
from members.models import Member

LOTS_MATURE_TASK = "loyalty.tasks.lots_mature"
POINTS_EXPIRE_TASK = "loyalty.tasks.points_expire"
TIERS_REVIEW_TASK = "loyalty.tasks.tiers_review"
PROGRAM_SIMULATION_TASK = "loyalty.tasks.program_simulation_run"

# name -> (task, crontab fields in CELERY_TIMEZONE, UTC). Maturation runs often so points show up
# soon after their return window; expiry and reviews are daily.
PERIODIC_TASKS = {
    "loyalty: lots mature": (LOTS_MATURE_TASK, {"minute": "*"}),
    "loyalty: points expire": (POINTS_EXPIRE_TASK, {"minute": "15", "hour": "2"}),
    "loyalty: tiers review": (TIERS_REVIEW_TASK, {"minute": "45", "hour": "2"}),
}


def _members_from(queryset):

    return Member.objects.filter(pk__in=queryset.values("member_id").distinct()).order_by("pk")


@shared_task(name=LOTS_MATURE_TASK, ignore_result=True)
def lots_mature() -> int:
    """Make every lot past its return window available."""
    now = timezone.now()
    due = PointsLot.objects.filter(is_matured=False, available_at__lte=now)
    return sum(ledger.lots_mature(member=member, at=now) for member in _members_from(due))


@shared_task(name=POINTS_EXPIRE_TASK, ignore_result=True)
def points_expire() -> int:
    """Expire what the program's policy says is due. Returns the points expired."""
    now = timezone.now()
    try:
        program = program_version_at(at=now).definition
    except ProgramNotConfigured:
        return 0
    with_points = PointsLot.objects.filter(remaining__gt=0)
    # Rolling expiry dates are stamped on the lots: whatever the policy is now, dated lots past
    # their date expire.
    candidates = {m.pk: m for m in _members_from(with_points.filter(expires_at__lte=now))}
    if is_inactivity_expiry(program):
        # A cheap first cut; the service decides with the exact last activity under the lock.
        cutoff = inactivity_cutoff(program=program, at=now)
        recent = Purchase.objects.filter(purchased_at__gt=cutoff).values("member_id")
        inactive = with_points.exclude(member_id__in=recent).exclude(
            member__ledger_entries__kind=EntryKind.REDEEM,
            member__ledger_entries__occurred_at__gt=cutoff,
        )
        candidates |= {m.pk: m for m in _members_from(inactive)}
    total = 0
    for member in candidates.values():
        entry = ledger.points_expire(member=member, at=now)
        total += -entry.points if entry else 0
    return total


@shared_task(name=TIERS_REVIEW_TASK, ignore_result=True)
def tiers_review() -> int:
    """Review every member whose review date has come. Returns the number of tier changes."""
    now = timezone.now()
    # Review dates are program-local; a day's margin here, the service compares exactly.
    tomorrow = now.date() + datetime.timedelta(days=1)
    due = LoyaltyAccount.objects.filter(tier_review_on__lte=tomorrow)
    changes = 0
    for member in _members_from(due):
        changes += tiers.tier_review(member=member, at=now) is not None
    return changes


# A year of a large shop's purchases on one process: beyond the default limit (settings).
@shared_task(
    name=PROGRAM_SIMULATION_TASK, ignore_result=True, time_limit=3600, soft_time_limit=3500
)
def program_simulation_run(simulation_id: int) -> bool:
    """Run a stored program simulation (the admin's import of a large history). Idempotent: the
    service claims the row, so a second delivery does nothing."""
    return simulations.simulation_run(simulation_id=simulation_id) is not None
