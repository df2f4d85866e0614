"""Reads of a member's standing in the program: their overview (balances, tier, progress), what
their referrals have come to, the tier's benefits in words. The portal and the console both show
them."""

import datetime
import zoneinfo
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import CharField, F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.benefits import benefit_label
from loyalty.definition import DEFAULT_TIMEZONE, ProgramDefinition
from loyalty.money import DEFAULT_CURRENCY
from loyalty.rules.tiers import tier_next
from loyalty.scoring import event_bonus_rule
from loyalty.selectors.ledger import account_for_member, expiring_soon, transactions_for_member
from loyalty.selectors.program import program_in_force
from loyalty.selectors.tiers import qualifying_total
from members.models import Member

# --- Time zones --------------------------------------------------------------------------------


def member_time_zone(
    *, member: Member, program: ProgramDefinition | None = None, at: datetime.datetime | None = None
) -> zoneinfo.ZoneInfo:
    """The zone the member's local times are read in: their own, or the program's when they
    chose none (UTC before any program exists). `.key` is its IANA name. `program`, when the
    caller has it, saves looking up the one in force at `at` (default now)."""
    if member.time_zone:
        return zoneinfo.ZoneInfo(member.time_zone)
    if program is None:
        program = program_in_force(at=at)
    return zoneinfo.ZoneInfo(program.timezone if program is not None else DEFAULT_TIMEZONE)


def member_time_zone_expression(
    *, program: ProgramDefinition | None = None, field: str = "time_zone"
):
    """member_time_zone as an SQL expression, for reading many members' local times in one
    query: `.annotate(zone=member_time_zone_expression(program=...))` over members (over another
    model, `field="member__time_zone"`), then `AT TIME ZONE` it in PostgreSQL. The program's zone
    is bound as a value, so the query follows the program the caller read."""
    if program is None:
        program = program_in_force()
    default = program.timezone if program is not None else DEFAULT_TIMEZONE
    return Coalesce(NullIf(F(field), Value("")), Value(default), output_field=CharField())


def referral_bonus_for(*, program) -> dict | None:
    """What inviting a friend earns, per the program: {"points", "referee_points"} or None."""
    if program is None:
        return None
    rule = event_bonus_rule(program=program, event="referral", at=timezone.now())
    if rule is None:
        return None
    return {"points": rule.points or 0, "referee_points": rule.referee_points or 0}


def tier_benefits(tier) -> list[str]:
    """A tier's benefits in the active language; an unknown code is shown readably."""
    if tier is None:
        return []
    benefits = []
    if tier.discount_percent:
        benefits.append(_("%(percent)s%% off every purchase") % {"percent": tier.discount_percent})
    for code in tier.benefits:
        benefits.append(benefit_label(code))
    return benefits


def member_overview(*, member: Member, language: str, latest_count: int = 5) -> dict[str, Any]:
    """A member's standing as the home page and the console's member page show it: balances,
    tier and benefits, progress to the next tier, points expiring soon and the latest movements.
    A fixed number of queries, whatever the length of the member's history."""
    try:
        account = member.loyalty_account
    except ObjectDoesNotExist:
        account = account_for_member(member=member)
    program = program_in_force()
    tier = program.tier(account.tier_code) if program else None
    progress = None
    following = tier_next(program, account.tier_code) if program is not None else None
    if following is not None:
        total = qualifying_total(member=member, program=program, at=timezone.now())
        remaining = max(following.threshold - total, Decimal(0))
        progress = {
            "tier_name": following.localized_name(language),
            "metric": program.qualification_metric,
            "remaining": remaining,
            "total": min(total, following.threshold),
            "threshold": following.threshold,
            "percent": int(min(total / following.threshold, 1) * 100)
            if following.threshold
            else 100,
            "window_months": program.qualification_window_months,
        }
    return {
        "account": account,
        "program": program,
        "currency": program.currency if program else DEFAULT_CURRENCY,
        "tier": tier,
        "tier_name": tier.localized_name(language) if tier else "",
        "benefits": tier_benefits(tier),
        "is_top_tier": tier is not None and progress is None,
        "progress": progress,
        "expiring": expiring_soon(member=member),
        "latest": list(transactions_for_member(member=member)[:latest_count]),
    }
