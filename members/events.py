"""The members' domain events, one creator each, called by the service that makes the change,
inside its transaction (config.events). Payloads carry ids and numbers, never personal data."""

from __future__ import annotations

from config.events.models import Event
from config.events.services import event_new, event_record, events_record

MEMBER_ENROLLED = "member.enrolled"
MEMBER_ERASED = "member.erased"


def member_enrolled(*members, imported: bool = False) -> list[Event]:
    """`member.enrolled` for each member (one, or a bulk import's batch in one insert).
    `imported`: history loaded from a file, not a customer joining now (no welcome to send)."""
    return events_record(
        [
            event_new(
                MEMBER_ENROLLED,
                occurred_at=member.joined_at,
                payload={
                    "member_id": member.pk,
                    "member_number": member.member_number,
                    "joined_at": member.joined_at.isoformat(),
                    "language": member.language,
                    "referred_by_id": member.referred_by_id,
                    "imported": imported,
                },
            )
            for member in members
        ]
    )


def member_erased(*, member) -> Event:
    """`member.erased`: the person is gone, the member row and its ledger stay."""
    return event_record(
        MEMBER_ERASED, payload={"member_id": member.pk, "member_number": member.member_number}
    )
