"""One member's window replayed under the draft, with the rules the live path computes with.

Each purchase of the window is scored by `loyalty.scoring.score_purchase` at the member's tier
under the draft, and each refund of one of them rescored by `loyalty.rules.refund` (what is
left, the tier and program it was scored with); the tier moves as `loyalty.rules.tiers` says:
an upgrade checked after each purchase (`tier_upgrade`), a withdrawal after each refund
(`tier_period`, `tier_refund_move`), a review on each review date (`tier_review_move`, at the
start of that day on the draft's calendar, before the day's purchases). The member starts the
window at the tier their history gave them at `start` (replayed under the draft's tiers: its
review dates) or, when the draft has no tier of that code, at the draft's tier their
qualifying total then reaches. Staff decisions of the window (a tier set by hand) are kept when
the draft has that tier.

Purchases made before the window count towards the qualifying totals as history recorded them
(their amount net of the refunds made by then, and for the `points` metric the points they
earned); their refunds in the window take back what they took back live: in the draft's world
too they were scored with the program of their day. The live side of a member is read from
the same rows: the tier their history gives at the end, the tier changes of the window.
"""

from __future__ import annotations

import datetime
import json
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from loyalty.definition import ProgramDefinition
from loyalty.models.ledger import EntryKind, TierChangeReason
from loyalty.rules.refund import ItemsNotLeft, refund_items_left, refund_rescore
from loyalty.rules.tiers import (
    TierMove,
    qualification_window_start,
    qualifying_measure,
    tier_can_rise,
    tier_for_total,
    tier_in_history,
    tier_lowest_code,
    tier_period,
    tier_rank,
    tier_refund_move,
    tier_review_move,
    tier_review_on,
    tier_upgrade,
)
from loyalty.scoring import Item, items_from_stored, score_purchase
from loyalty.simulation.attribution import OTHER, Shares, contributions, shares_add
from loyalty.simulation.history import Bought, Change, Issued, MemberHistory, Refunded, Span

_MICROSECOND = datetime.timedelta(microseconds=1)
BASKETS_KEPT = 10_000  # decoded baskets kept for the next purchases with the same items
_ZERO = Decimal(0)


@dataclass
class Partial:
    """What the replay of some members adds up, for both sides; partials of several member
    ranges add up (`add`). `*_points` and `*_shares` of the draft are its purchases of the window
    and their refunds; of the live side, the ledger's (`live_*`: every entry of the window that
    points issued counts, but reversals; `related_*`: those of the window's purchases)."""

    draft_points: int = 0
    draft_shares: Shares = field(default_factory=dict)
    live_points: int = 0
    live_shares: Shares = field(default_factory=dict)
    related_points: int = 0
    related_shares: Shares = field(default_factory=dict)
    draft_tiers: Counter = field(default_factory=Counter)
    live_tiers: Counter = field(default_factory=Counter)
    draft_upgrades: int = 0
    draft_downgrades: int = 0
    live_upgrades: int = 0
    live_downgrades: int = 0
    draft_outstanding: int = 0
    live_outstanding: int = 0
    purchases_read: int = 0
    purchases_scored: int = 0
    refunds_rescored: int = 0

    def add(self, other: Partial) -> None:
        for name, value in vars(other).items():
            mine = getattr(self, name)
            if isinstance(value, Counter):
                mine.update(value)
            elif isinstance(value, dict):
                shares_add(mine, value)
            else:
                setattr(self, name, mine + value)


def direction(program: ProgramDefinition | None, reason: str, from_code: str, to_code: str):
    """+1 for an upgrade, -1 for a downgrade, 0 for neither: by the reason, and for a tier set
    by staff by the tiers' order."""
    if reason == TierChangeReason.UPGRADE:
        return 1
    if reason in (TierChangeReason.REVIEW, TierChangeReason.REFUND):
        return -1
    if program is None:
        return 0
    rise = tier_rank(program, to_code) - tier_rank(program, from_code)
    return (rise > 0) - (rise < 0)


class _Qualifying:
    """A member's purchases in the qualification window ending at the moment asked, and their
    sums (spend net of refunds, points), kept as the window slides forward."""

    __slots__ = ("by_purchase", "entries", "points", "program", "spent")

    def __init__(self, program: ProgramDefinition):
        self.program = program
        self.entries: deque[list] = deque()  # [at, net amount, points, purchase id]
        self.by_purchase: dict[int, list] = {}
        self.spent = _ZERO
        self.points = 0

    def add(self, pk: int, at: datetime.datetime, amount: Decimal, points: int) -> None:
        entry = [at, amount, points, pk]
        self.entries.append(entry)
        self.by_purchase[pk] = entry
        self.spent += amount
        self.points += points

    def refund(self, pk: int, amount: Decimal, points: int) -> None:
        entry = self.by_purchase.get(pk)
        if entry is None:  # out of the window already (or before what was read)
            return
        entry[1] -= amount
        entry[2] -= points
        self.spent -= amount
        self.points -= points

    def total_at(self, at: datetime.datetime) -> Decimal:
        """The qualifying total at `at` (called with moments that never go back)."""
        start = qualification_window_start(self.program, at)
        entries = self.entries
        while entries and entries[0][0] <= start:
            _at, amount, points, pk = entries.popleft()
            del self.by_purchase[pk]
            self.spent -= amount
            self.points -= points
        return qualifying_measure(self.program, spent=self.spent, points=self.points)


class _Holder:
    """The member's tier under the draft, as loyalty.rules.tiers.TierMove.apply moves it."""

    __slots__ = ("tier_code", "tier_review_on", "tier_since")

    def __init__(self, code: str, since, review_on):
        self.tier_code, self.tier_since, self.tier_review_on = code, since, review_on


@dataclass(slots=True)
class _Scored:
    """A purchase of the window as the draft scored it, and as its refunds leave it."""

    bought: Bought
    tier_code: str | None
    points: int
    shares: Shares
    refunded: Decimal = _ZERO
    refunded_items: list[list[dict[str, Any]]] = field(default_factory=list)


class Replay:
    """Replays members one at a time into `partial` (see the module's doc)."""

    def __init__(
        self,
        *,
        draft: ProgramDefinition,
        live: ProgramDefinition | None,
        span: Span,
        partial: Partial,
    ):
        self.draft, self.live, self.span, self.partial = draft, live, span, partial
        self.zone = draft.zone
        self.codes = {tier.code for tier in draft.tiers}
        self.lowest = tier_lowest_code(draft) or ""
        self.live_lowest = tier_lowest_code(live) or ""
        self.baskets: dict[str, tuple[Item, ...]] = {}
        # Reviews run up to the window's last day.
        self.last_day = (span.end - _MICROSECOND).astimezone(self.zone).date()

    # --- A member ------------------------------------------------------------------------------

    def member(self, history: MemberHistory) -> None:
        partial = self.partial
        is_counted = history.joined_at < self.span.end  # a member at the end (ANALYTICS.md)
        partial.purchases_read += len(history.purchases)
        partial.live_outstanding += history.outstanding
        if history.entries:
            in_window = history.purchases_of_window(self.span.start)
            for entry in history.entries:
                issued_add(partial, entry, is_related=entry.purchase_id in in_window)
        if history.is_quiet:
            if is_counted:
                partial.draft_tiers[self.lowest] += 1
                partial.live_tiers[self.live_lowest] += 1
            partial.draft_outstanding += history.outstanding
            return
        self._live(history, is_counted)
        difference = self._draft(history, is_counted)
        # What the draft gives or takes beyond the live program stays with the member at the end
        # (redemptions and expiries as recorded); never below nothing.
        partial.draft_outstanding += max(history.outstanding + difference, 0)

    def _live(self, history: MemberHistory, is_counted: bool) -> None:
        partial, live, span = self.partial, self.live, self.span
        if is_counted:
            changes = [(change.at, change.pk, change.to_code) for change in history.changes]
            code = tier_in_history(live, changes, span.end - _MICROSECOND) if live else ""
            partial.live_tiers[code or ""] += 1
        for change in history.changes:
            if change.at >= span.start:
                moved = direction(live, change.reason, change.from_code, change.to_code)
                partial.live_upgrades += moved > 0
                partial.live_downgrades += moved < 0

    def _draft(self, history: MemberHistory, is_counted: bool) -> int:
        """Replay the member's window under the draft; returns the points the draft gives them
        beyond what the live program gave for the same purchases and refunds."""
        start = self.span.start
        events: list[tuple[datetime.datetime, int, Any]] = [
            (bought.at, 1, bought) for bought in history.purchases
        ]
        events += [(refunded.at, 2, refunded) for refunded in history.refunds]
        events += [
            (change.at, 0, change)
            for change in history.changes
            if change.at >= start and change.reason == TierChangeReason.STAFF
        ]
        events.sort(key=lambda event: (event[0], event[1]))
        qualifying = _Qualifying(self.draft)
        changes = [change for change in history.changes if change.at < start]
        scored: dict[int, _Scored] = {}
        holder: _Holder | None = None
        difference = 0
        for at, order, row in events:
            if at < start:  # history before the window: only the qualifying totals need it
                if order == 1:
                    qualifying.add(row.pk, at, row.amount, row.points)
                elif order == 2:
                    qualifying.refund(row.purchase_id, row.amount, row.points_taken)
                continue
            if holder is None:
                holder = self._tier_at_start(history.member_id, changes, qualifying)
            self._reviews(holder, changes, qualifying, until=at.astimezone(self.zone).date())
            if order == 1:
                difference += self._purchase(row, holder, changes, qualifying, scored)
            elif order == 2:
                difference += self._refund(row, holder, changes, qualifying, scored)
            else:
                self._staff(row, holder, changes)
        if holder is None:
            holder = self._tier_at_start(history.member_id, changes, qualifying)
        self._reviews(holder, changes, qualifying, until=self.last_day)
        if is_counted:
            self.partial.draft_tiers[holder.tier_code] += 1
        return difference

    # --- Tiers ---------------------------------------------------------------------------------

    def _tier_at_start(self, member_id: int, changes: list, qualifying: _Qualifying) -> _Holder:
        draft, start = self.draft, self.span.start
        if not draft.tiers:
            return _Holder("", None, None)
        held = tier_period(draft, changes, start - _MICROSECOND).held
        if held.code in self.codes:
            return _Holder(held.code, held.since, held.review_on)
        # A tier the draft does not have: the draft's tier for the member's total then, as if
        # set at the start (which ends any review period the history had).
        tier = tier_for_total(draft, qualifying.total_at(start))
        changes.append(
            Change(member_id, start, 0, held.code, tier.code, TierChangeReason.STAFF.value)
        )
        return _Holder(tier.code, start, tier_review_on(draft, tier.code, start))

    def _move(self, move: TierMove, holder: _Holder, changes: list) -> None:
        move.apply(holder)
        changes.append(Change(0, move.at, 0, move.from_code, move.to_code, move.reason))
        moved = direction(self.draft, move.reason, move.from_code, move.to_code)
        self.partial.draft_upgrades += moved > 0
        self.partial.draft_downgrades += moved < 0

    def _reviews(
        self, holder: _Holder, changes: list, qualifying: _Qualifying, *, until: datetime.date
    ) -> None:
        """Run the reviews due on or before `until`."""
        draft = self.draft
        while holder.tier_review_on is not None and holder.tier_review_on <= until:
            at = datetime.datetime.combine(holder.tier_review_on, datetime.time.min, self.zone)
            total = qualifying.total_at(at)
            move = tier_review_move(draft, code=holder.tier_code, total=total, at=at)
            if move is None:  # kept, reviewed again a year later
                holder.tier_review_on = tier_review_on(draft, holder.tier_code, at)
            else:
                self._move(move, holder, changes)

    def _staff(self, change: Change, holder: _Holder, changes: list) -> None:
        if change.to_code not in self.codes or change.to_code == holder.tier_code:
            return
        at = change.at
        self._move(
            TierMove(
                from_code=holder.tier_code,
                to_code=change.to_code,
                reason=TierChangeReason.STAFF,
                total=_ZERO,
                at=at,
                since=at,
                review_on=tier_review_on(self.draft, change.to_code, at),
            ),
            holder,
            changes,
        )

    # --- Purchases and refunds -----------------------------------------------------------------

    def _items(self, text: str | None) -> tuple[Item, ...]:
        """A purchase's items as scoring takes them, from their stored text; the same basket
        (the same text) is decoded once (Items are frozen)."""
        if not text:
            return ()
        found = self.baskets.get(text)
        if found is None:
            if len(self.baskets) >= BASKETS_KEPT:
                self.baskets.clear()
            found = self.baskets[text] = tuple(items_from_stored(json.loads(text)))
        return found

    def _purchase(
        self,
        bought: Bought,
        holder: _Holder,
        changes: list,
        qualifying: _Qualifying,
        scored: dict[int, _Scored],
    ) -> int:
        draft, partial = self.draft, self.partial
        tier_code = holder.tier_code or None
        score = score_purchase(
            program=draft,
            tier_code=tier_code,
            amount=bought.amount,
            items=self._items(bought.items),
            purchased_at=bought.at,
            channel=bought.channel,
        )
        shares = contributions(score.breakdown, score.points)
        shares_add(partial.draft_shares, shares)
        partial.draft_points += score.points
        partial.purchases_scored += 1
        scored[bought.pk] = _Scored(bought, tier_code, score.points, shares)
        qualifying.add(bought.pk, bought.at, bought.amount, score.points)
        if draft.tiers and tier_can_rise(draft, holder.tier_code):
            total = qualifying.total_at(bought.at)
            move = tier_upgrade(draft, code=holder.tier_code, total=total, at=bought.at)
            if move is not None:
                self._move(move, holder, changes)
        return score.points - bought.points

    def _refund(
        self,
        refunded: Refunded,
        holder: _Holder,
        changes: list,
        qualifying: _Qualifying,
        scored: dict[int, _Scored],
    ) -> int:
        draft, partial = self.draft, self.partial
        purchase = scored.get(refunded.purchase_id)
        difference = 0
        if purchase is None:  # bought before the window: taken back as it was live
            qualifying.refund(refunded.purchase_id, refunded.amount, refunded.points_taken)
        else:
            bought = purchase.bought
            purchase.refunded += refunded.amount
            purchase.refunded_items.append(json.loads(refunded.items or "[]"))
            amount_left = max(bought.amount - purchase.refunded, _ZERO)
            items_left: list[dict[str, Any]] = []
            if amount_left > 0:
                items = json.loads(bought.items or "[]")
                try:
                    items_left = refund_items_left(items, purchase.refunded_items)
                except ItemsNotLeft:  # live refused such a refund; keep the items as they were
                    items_left = items
            result = refund_rescore(
                program=draft,
                tier_code=purchase.tier_code,
                points_before=purchase.points,
                amount_left=amount_left,
                items_left=items_left,
                purchased_at=bought.at,
                channel=bought.channel,
            )
            shares = contributions(result.rescored.breakdown, result.points)
            shares_add(partial.draft_shares, shares)
            shares_add(partial.draft_shares, purchase.shares, -1)
            purchase.shares, purchase.points = shares, result.points
            partial.draft_points -= result.taken
            partial.refunds_rescored += 1
            qualifying.refund(refunded.purchase_id, refunded.amount, result.taken)
            difference = refunded.points_taken - result.taken
        if draft.tiers:
            period = tier_period(draft, changes, refunded.at)
            if period.is_withdrawable(holder.tier_code):
                total = qualifying.total_at(refunded.at)
                move = tier_refund_move(
                    draft, period=period, code=holder.tier_code, total=total, at=refunded.at
                )
                if move is not None:
                    self._move(move, holder, changes)
        return difference


# --- The live side's points per rule, from the ledger ---------------------------------------------


def _clawback_shares(points: int, parts: list, previous: list | None) -> Shares:
    """A clawback's contributions: the rescore after it less the breakdown before it."""
    refund = next((part for part in parts if part.get("part") == "refund"), None)
    if refund is None or previous is None:
        return {OTHER: Decimal(points)} if points else {}
    after = int(refund["points_after"])
    before = int(refund["points_before"])
    shares = contributions([part for part in parts if part.get("part") != "refund"], after)
    shares_add(shares, contributions(previous, before), -1)
    rest = points - (after - before)  # nothing, for a clawback as refund_record writes it
    if rest:
        shares[OTHER] = shares.get(OTHER, _ZERO) + rest
    return shares


def issued_add(partial: Partial, entry: Issued, *, is_related: bool) -> None:
    """Count one entry of the window (history.issued_stream) into the live side's points;
    `is_related`: it is the earn or clawback of a purchase made in the window."""
    parts = json.loads(entry.breakdown) if entry.breakdown else []
    if entry.kind == EntryKind.REFUND:
        previous = json.loads(entry.previous) if entry.previous else None
        shares = _clawback_shares(entry.points, parts, previous)
    else:
        shares = contributions(parts, entry.points)
    shares_add(partial.live_shares, shares)
    partial.live_points += entry.points
    if is_related and entry.kind in (EntryKind.EARN, EntryKind.REFUND):
        shares_add(partial.related_shares, shares)
        partial.related_points += entry.points
