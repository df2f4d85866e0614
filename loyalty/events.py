"""The ledger's domain events, one creator each, called by the service that makes the change,
inside its transaction (config.events). Payloads carry ids, numbers and amounts as text."""

from __future__ import annotations

import datetime
from decimal import Decimal

from config.events.models import Event
from config.events.services import event_new, event_record, events_kick, events_record

PURCHASE_RECORDED = "purchase.recorded"
PURCHASE_REFUNDED = "purchase.refunded"
POINTS_MATURED = "points.matured"
POINTS_EXPIRED = "points.expired"
TIER_CHANGED = "tier.changed"
HISTORY_IMPORTED = "history.imported"


def purchase_recorded(
    *,
    member_id: int,
    external_id: str,
    amount: Decimal,
    currency: str,
    purchased_at: datetime.datetime,
    channel: str,
    points: int,
    imported: bool = False,
    now: datetime.datetime | None = None,
) -> Event:
    """`purchase.recorded`, built for the caller's own insert: the purchase path writes it in
    the statement that writes the purchase (only if the purchase is written), the bulk import
    with its batch. The purchase is found by `external_id` (its id is drawn by that same
    statement). When it was made is the event's `occurred_at`. `imported`: history from a file."""
    event = event_new(
        PURCHASE_RECORDED,
        occurred_at=purchased_at,
        now=now,
        payload={
            "member_id": member_id,
            "external_id": external_id,
            "amount": str(amount),
            "currency": currency,
            "channel": channel,
            "points": points,
            "imported": imported,
        },
    )
    events_kick([PURCHASE_RECORDED])
    return event


def purchase_refunded(*, refund, purchase) -> Event:
    """`purchase.refunded`: `refund` of `purchase` (as it stands after the refund)."""
    return event_record(
        PURCHASE_REFUNDED,
        occurred_at=refund.created_at,
        payload={
            "member_id": purchase.member_id,
            "purchase_id": purchase.pk,
            "external_id": purchase.external_id,
            "refund_id": refund.pk,
            "refund_external_id": refund.external_id,
            "amount": str(refund.amount),
            "points_taken": refund.points_taken,
            "points_left": purchase.points,
        },
    )


def points_matured(*, member_id: int, lots, points: int, at: datetime.datetime) -> Event:
    """`points.matured`: pending lots past their return window became available (`points`
    after paying any debt); with the purchases they came from (a referee's first purchase)."""
    return event_record(
        POINTS_MATURED,
        occurred_at=at,
        payload={
            "member_id": member_id,
            "points": points,
            "purchase_ids": sorted({lot.purchase_id for lot in lots if lot.purchase_id}),
        },
    )


def points_expired(*, entry) -> Event:
    """`points.expired`: the `expire` ledger entry that took them."""
    return event_record(
        POINTS_EXPIRED,
        occurred_at=entry.occurred_at,
        payload={"member_id": entry.member_id, "entry_id": entry.pk, "points": -entry.points},
    )


def tier_changed(*changes, imported: bool = False) -> list[Event]:
    """`tier.changed` for each stored TierChange (an upgrade, a review, a refund's withdrawal;
    a bulk import's batch in one insert). `imported`: history from a file, of which nobody is
    told today."""
    return events_record(
        [
            event_new(
                TIER_CHANGED,
                occurred_at=change.at,
                payload={
                    "member_id": change.member_id,
                    "tier_change_id": change.pk,
                    "from": change.from_code,
                    "to": change.to_code,
                    "reason": change.reason,
                    "imported": imported,
                },
            )
            for change in changes
        ]
    )


def history_imported(*, what: str, rows: int, first_at=None, last_at=None, member_ids=()) -> Event:
    """`history.imported`: a batch of a shop's history loaded from a file (`what`: "members" or
    "purchases"), one event for the batch, written with it. History is not news: nobody is
    welcomed, told of a tier or credited a referral for it, so the rows of a batch have no event
    of their own (one per row cost the import 12 % of its speed for no consumer). A batch of
    purchases names its members (`member_ids`): the analytics keep figures per member."""
    payload = {
        "what": what,
        "rows": rows,
        "first_at": first_at.isoformat() if first_at else None,
        "last_at": last_at.isoformat() if last_at else None,
    }
    if member_ids:
        payload["member_ids"] = sorted(member_ids)
    return event_record(HISTORY_IMPORTED, occurred_at=last_at, payload=payload)
