"""The ledger's consumers of domain events (config.events.registry; found by EventsConfig)."""

from config.events.models import Event
from config.events.registry import consumer
from loyalty.events import TIER_CHANGED
from loyalty.models.ledger import TierChangeReason
from loyalty.tasks import tier_notice_send


@consumer("tier_notice", kinds=[TIER_CHANGED])
def tier_notice(event: Event) -> None:
    """Mail the member about an upgrade. Queued (sent when the dispatcher commits), not mailed
    here: the task is idempotent (it claims the change's `notified_at`) and retries on its own,
    and a mail is never sent for a delivery that then rolls back. Imported history tells
    nobody; a change whose notice was already given (a tier a refund took back and the same
    spend reached again) is marked notified before this runs, and the task sends nothing."""
    payload = event.payload
    if payload["reason"] != TierChangeReason.UPGRADE or payload.get("imported"):
        return
    tier_notice_send.delay(payload["tier_change_id"])
