"""The vouchers' domain events, one creator each, called by the service that makes the change,
inside its transaction (config.events)."""

from __future__ import annotations

import datetime

from config.events.models import Event
from config.events.services import event_record

VOUCHER_ISSUED = "voucher.issued"
VOUCHER_CONSUMED = "voucher.consumed"
VOUCHER_CANCELLED = "voucher.cancelled"


def _voucher(voucher, redemption) -> dict:
    return {
        "member_id": redemption.member_id,
        "voucher_id": voucher.pk,
        "code": voucher.code,
        "redemption_id": str(redemption.public_id),
        "reward": redemption.reward_code,
    }


def voucher_issued(*, voucher, redemption) -> Event:
    """`voucher.issued` for a redemption's new voucher."""
    return event_record(
        VOUCHER_ISSUED,
        occurred_at=voucher.issued_at,
        payload={
            **_voucher(voucher, redemption),
            "points_spent": redemption.points_spent,
            "expires_at": voucher.expires_at.isoformat(),
        },
    )


def voucher_consumed(*, voucher, redemption) -> Event:
    """`voucher.consumed` at the till, with the order it was used for."""
    return event_record(
        VOUCHER_CONSUMED,
        occurred_at=voucher.consumed_at,
        payload={**_voucher(voucher, redemption), "order_ref": voucher.order_ref},
    )


def voucher_cancelled(*, voucher, redemption, at: datetime.datetime) -> Event:
    """`voucher.cancelled` with its redemption (the points went back to the member)."""
    return event_record(
        VOUCHER_CANCELLED,
        occurred_at=at,
        payload={**_voucher(voucher, redemption), "points_returned": redemption.points_spent},
    )
