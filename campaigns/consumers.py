"""The campaigns' consumers of domain events (config.events.registry; found by EventsConfig)."""

from campaigns.composers.notices import TIER_CHANGE
from campaigns.models import CampaignChannel
from campaigns.services.deliveries import deliveries_queue, delivery_new
from campaigns.tasks import deliveries_kick
from config.events.models import Event
from config.events.registry import consumer
from loyalty.events import TIER_CHANGED
from loyalty.models.ledger import TierChangeReason
from loyalty.services.tiers import tier_notice_claim


# The name it had in loyalty, where it mailed the notice itself: the name keys the consumer's
# delivery state, so the events it settled there stay settled.
@consumer("tier_notice", kinds=[TIER_CHANGED])
def tier_notice(event: Event) -> None:
    """Queue the upgrade notice on the delivery log (automation `tier_change`, once per tier
    change), in the dispatcher's transaction: the claim of the change's notice, the delivery
    row and the event's delivery commit together. Imported history tells nobody; a change whose
    notice was already given (a tier a refund took back and the same spend reached again) is
    marked notified before this runs, and nothing is queued."""
    payload = event.payload
    if payload["reason"] != TierChangeReason.UPGRADE or payload.get("imported"):
        return
    change = tier_notice_claim(tier_change_id=payload["tier_change_id"])
    if change is None:
        return
    deliveries_queue(
        [
            delivery_new(
                member_id=change.member_id,
                automation=TIER_CHANGE,
                occasion=str(change.pk),
                channel=CampaignChannel.EMAIL,
            )
        ]
    )
    deliveries_kick()
