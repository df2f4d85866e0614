"""Tier rules (PROGRAM.md, "tiers"), on values: the live path (loyalty.services.tiers, after a
purchase, a refund, a review) and the bulk import compute every tier move here.

- Qualifying total at time t: with metric `spend`, the amounts net of refunds of the member's
  purchases made in the `window_months` ending at t; with metric `points`, the points those
  purchases earned net of refunds (event bonuses and adjustments excluded).
- The member qualifies for the highest tier whose threshold the total reaches.
- Upgrade: checked after every purchase (as of its `purchased_at`, so history imported in order
  upgrades when it would have); the change starts a new review period.
- Review date: one year (program timezone) after the member reached the tier or was last
  reviewed. At review the tier becomes whatever the total qualifies for then: down, or kept (and
  reviewed again a year later). The lowest tier has no review date.
- A refund takes back at once a tier reached during the current review period that the total
  no longer reaches, never below the tier held before the period's upgrades.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from loyalty.definition import ProgramDefinition, TierDefinition
from loyalty.models.ledger import TierChangeReason
from loyalty.money import money_quantize
from loyalty.rules.months import months_after

REVIEW_MONTHS = 12


def tier_rank(program: ProgramDefinition, code: str | None) -> int:
    """Position of a tier from the lowest (0); -1 for no tier or one the program no longer has."""
    for index, tier in enumerate(program.tiers):
        if tier.code == code:
            return index
    return -1


def tier_lowest_code(program: ProgramDefinition | None) -> str | None:
    """Every member's tier before any change; None without a program or tiers."""
    return program.tiers[0].code if program is not None and program.tiers else None


def tier_next(program: ProgramDefinition, code: str | None) -> TierDefinition | None:
    """The tier above `code`; None at the top, or without tiers."""
    if not tier_can_rise(program, code):
        return None
    return program.tiers[tier_rank(program, code) + 1]


def tier_for_total(program: ProgramDefinition, total: Decimal) -> TierDefinition | None:
    """The highest tier `total` reaches (the lowest when it reaches none); None without tiers."""
    qualified = [tier for tier in program.tiers if total >= tier.threshold]
    return qualified[-1] if qualified else (program.tiers[0] if program.tiers else None)


# --- The qualifying total ----------------------------------------------------------------------


def qualification_window_start(
    program: ProgramDefinition, at: datetime.datetime
) -> datetime.datetime:
    """Where the qualification window ending at `at` starts (excluded): `window_months` earlier
    on the program's calendar."""
    return months_after(at, -program.qualification_window_months, zone=program.zone)


def qualifying_measure(program: ProgramDefinition, *, spent: Decimal, points: int) -> Decimal:
    """What counts toward a tier under the program's metric: spend net of refunds, or the
    points purchases earned."""
    return Decimal(points) if program.qualification_metric == "points" else spent


def qualifying_total_value(program: ProgramDefinition, total) -> Decimal:
    """The qualifying total from the database's sum (None for no purchase)."""
    if total is None:
        return Decimal(0)
    # PostgreSQL sums numeric exactly; SQLite may answer a float, rounded here to the currency.
    if program.qualification_metric == "points":
        return Decimal(int(total))
    return money_quantize(Decimal(str(total)), program.currency)


def qualifying_total_with(
    program: ProgramDefinition, total_before, purchase, at: datetime.datetime
) -> Decimal:
    """The qualifying total at `at` once `purchase` (its `purchased_at`, `amount`,
    `refunded_amount` and `points`) is counted, from `total_before`, the database's sum of the
    purchases before it (`qualifying_total_value` reads it)."""
    total = qualifying_total_value(program, total_before)
    if qualification_window_start(program, at) < purchase.purchased_at <= at:
        spent = purchase.amount - purchase.refunded_amount
        total += qualifying_measure(program, spent=spent, points=purchase.points)
    return total


# --- The tier a member holds -------------------------------------------------------------------


class TierHolder(Protocol):
    tier_code: str
    tier_since: datetime.datetime | None
    tier_review_on: datetime.date | None


def tier_review_on(
    program: ProgramDefinition, code: str, at: datetime.datetime
) -> datetime.date | None:
    """When a member who reached (or kept) tier `code` at `at` is next reviewed: a year later,
    on the program's calendar; never for the lowest tier."""
    if tier_rank(program, code) <= 0:
        return None
    return months_after(at, REVIEW_MONTHS, zone=program.zone).date()


def tier_holds_at(
    program: ProgramDefinition,
    *,
    code: str | None,
    since: datetime.datetime | None,
    at: datetime.datetime,
) -> bool:
    """Whether a member's current tier (`code`, reached at `since`) was already theirs at `at`:
    true for every purchase but a backdated one, which must read the tier history."""
    return since is not None and since <= at and tier_rank(program, code) >= 0


def tier_in_history(
    program: ProgramDefinition, changes: Iterable[tuple], at: datetime.datetime
) -> str | None:
    """The tier a member's history gives at `at`: that of the latest of `changes` (each
    (at, order, to_code), the order breaking ties of `at`) made at or before `at`; the lowest
    tier before any."""
    before = [change for change in changes if change[0] <= at]
    return max(before)[2] if before else tier_lowest_code(program)


def tier_when_purchased(
    program: ProgramDefinition,
    *,
    code: str | None,
    since: datetime.datetime | None,
    at: datetime.datetime,
    history: Callable[[], Iterable[tuple]],
) -> str | None:
    """The tier a purchase made at `at` is scored at, for a member holding `code` since
    `since`: that tier, which covers every purchase but a backdated one; for that one, the
    tier their history gives (`history()`, read only then: see `tier_in_history`)."""
    if tier_holds_at(program, code=code, since=since, at=at):
        return code
    return tier_in_history(program, history(), at)


def tier_can_rise(program: ProgramDefinition, code: str | None) -> bool:
    """Whether a member at tier `code` has a higher tier to reach (not without tiers, not at
    the top): only then is a qualifying total worth adding up."""
    return bool(program.tiers) and tier_rank(program, code) < len(program.tiers) - 1


@dataclass(frozen=True, slots=True)
class TierMove:
    """A change of tier: the history's row (`from_code`, `to_code`, `reason`, `total`, `at`)
    and the dates the member then holds the tier with (`since`, `review_on`)."""

    from_code: str
    to_code: str
    reason: str
    total: Decimal
    at: datetime.datetime
    since: datetime.datetime | None
    review_on: datetime.date | None

    def apply(self, holder: TierHolder) -> None:
        """Give the account (or the import's copy of it) the tier, in memory."""
        holder.tier_code = self.to_code
        holder.tier_since = self.since
        holder.tier_review_on = self.review_on


def _move_to(
    program: ProgramDefinition,
    *,
    code: str,
    to: TierDefinition,
    reason: str,
    total: Decimal,
    at: datetime.datetime,
) -> TierMove:
    """A move that starts a new review period at `at`: an upgrade or a review."""
    return TierMove(
        from_code=code,
        to_code=to.code,
        reason=reason,
        total=total,
        at=at,
        since=at,
        review_on=tier_review_on(program, to.code, at),
    )


def tier_upgrade_target(
    program: ProgramDefinition, code: str | None, total: Decimal
) -> TierDefinition | None:
    """The tier `total` qualifies for when it is above tier `code`; None otherwise (an upgrade
    never goes down)."""
    target = tier_for_total(program, total)
    if target is None or tier_rank(program, target.code) <= tier_rank(program, code):
        return None
    return target


def tier_upgrade(
    program: ProgramDefinition, *, code: str, total: Decimal, at: datetime.datetime
) -> TierMove | None:
    """The upgrade of a member at tier `code` whose qualifying total at `at` is `total`, after a
    purchase; None when it reaches no higher tier."""
    target = tier_upgrade_target(program, code, total)
    if target is None:
        return None
    return _move_to(
        program, code=code, to=target, reason=TierChangeReason.UPGRADE, total=total, at=at
    )


def tier_review_move(
    program: ProgramDefinition, *, code: str, total: Decimal, at: datetime.datetime
) -> TierMove | None:
    """At a member's review date, the move to the tier `total` qualifies for (down, or up);
    None when it is the tier they hold (kept, reviewed again `tier_review_on` later)."""
    target = tier_for_total(program, total)
    if target is None or target.code == code:
        return None
    is_up = tier_rank(program, target.code) > tier_rank(program, code)
    reason = TierChangeReason.UPGRADE if is_up else TierChangeReason.REVIEW
    return _move_to(program, code=code, to=target, reason=reason, total=total, at=at)


# --- Refunds: the current review period replayed ------------------------------------------------


@dataclass
class TierHeld:
    """A tier as the account holds it: its code, since when, and its next review date."""

    code: str
    since: datetime.datetime | None
    review_on: datetime.date | None


@dataclass(frozen=True)
class TierRise:
    """An upgrade of the current review period, as refunds may have lowered it."""

    at: datetime.datetime
    from_code: str
    to_code: str


@dataclass
class TierPeriod:
    """The tier held now (`held`), the tier held before the current review period's upgrades
    (`base`), and those upgrades, oldest first (`rises`)."""

    held: TierHeld
    base: TierHeld
    rises: list[TierRise] = field(default_factory=list)

    def is_withdrawable(self, code: str) -> bool:
        """Whether a refund may take back a tier of this period from a member at `code`: some
        tier was reached in it, and the history replays to the tier the account holds."""
        return bool(self.rises) and self.held.code == code


def _reviews_pass(
    program: ProgramDefinition, held: TierHeld, until: datetime.date, rises: list[TierRise]
) -> None:
    """Reviews that kept the tier between the last change and `until`: each ends the period."""
    while held.review_on is not None and held.review_on <= until:
        rises.clear()
        held.review_on = months_after(
            datetime.datetime.combine(held.review_on, datetime.time(12), tzinfo=program.zone),
            REVIEW_MONTHS,
            zone=program.zone,
        ).date()


def tier_period(
    program: ProgramDefinition, changes: Iterable[Any], at: datetime.datetime
) -> TierPeriod:
    """Replay a member's tier history (`changes` up to `at`, oldest first, each with `at`,
    `reason`, `from_code` and `to_code`). An upgrade starts a review period but one reached
    before the previous one's review date continues it; a review (which writes no change when
    it keeps the tier), a review's downgrade or a tier set by staff ends it; a refund's
    withdrawal lowers the upgrades it took back."""
    lowest = tier_lowest_code(program) or ""
    held = TierHeld(code=lowest, since=None, review_on=None)
    base = TierHeld(code=lowest, since=None, review_on=None)
    rises: list[TierRise] = []
    for change in changes:
        local_day = change.at.astimezone(program.zone).date()
        _reviews_pass(program, held, local_day, rises)
        if change.reason == TierChangeReason.REFUND:
            rank = tier_rank(program, change.to_code)
            while rises and tier_rank(program, rises[-1].to_code) > rank:
                rise = rises.pop()
                if tier_rank(program, rise.from_code) < rank:
                    rises.append(TierRise(rise.at, rise.from_code, change.to_code))
                    break
            held = TierHeld(change.to_code, *_held_after_refund(program, base, rises, rank))
            continue
        if change.reason != TierChangeReason.UPGRADE or not rises:
            base = TierHeld(held.code, held.since, held.review_on)
            rises.clear()
        if change.reason == TierChangeReason.UPGRADE:
            rises.append(TierRise(change.at, change.from_code, change.to_code))
        held = TierHeld(
            change.to_code, change.at, tier_review_on(program, change.to_code, change.at)
        )
    _reviews_pass(program, held, at.astimezone(program.zone).date(), rises)
    return TierPeriod(held=held, base=base, rises=rises)


def _held_after_refund(
    program: ProgramDefinition, base: TierHeld, rises: list[TierRise], rank: int
) -> tuple[datetime.datetime | None, datetime.date | None]:
    """Since when, and until which review, a member holds the tier of `rank` once a refund took
    the higher ones back: the tier held before the period keeps its own dates; a tier the
    period's upgrades reached (or passed) is held since the first of them that did."""
    reached = next(
        (
            rise
            for rise in rises
            if tier_rank(program, rise.from_code) < rank <= tier_rank(program, rise.to_code)
        ),
        None,
    )
    if reached is None:
        return base.since, base.review_on
    code = program.tiers[rank].code
    return reached.at, tier_review_on(program, code, reached.at)


def tier_refund_move(
    program: ProgramDefinition,
    *,
    period: TierPeriod,
    code: str,
    total: Decimal,
    at: datetime.datetime,
) -> TierMove | None:
    """After a refund, the withdrawal of a tier of the current `period` that `total` (the
    qualifying total at `at`) no longer reaches: down to the highest tier it still reaches,
    never below the tier held before the period's upgrades; the tier kept has the dates it had
    (a review date that came while a withdrawn tier was held is run by the next daily review).
    None when nothing is taken back."""
    if not period.is_withdrawable(code):
        return None
    rises, base = period.rises, period.base
    floor_rank = max(tier_rank(program, rises[0].from_code), tier_rank(program, base.code), 0)
    reached = tier_for_total(program, total)
    target_rank = max(tier_rank(program, reached.code if reached else None), floor_rank)
    if target_rank >= tier_rank(program, code):
        return None
    since, review_on = _held_after_refund(program, base, rises, target_rank)
    return TierMove(
        from_code=code,
        to_code=program.tiers[target_rank].code,
        reason=TierChangeReason.REFUND,
        total=total,
        at=at,
        since=since,
        review_on=review_on if target_rank > 0 else None,
    )
