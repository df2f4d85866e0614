"""The campaigns' consumers of domain events (config.events.registry; found by EventsConfig)."""

import datetime

from django.utils import timezone

from campaigns.composers.notices import TIER_CHANGE
from campaigns.models import AutomationCode, CampaignChannel
from campaigns.selectors.automations import automation_enabled
from campaigns.services.deliveries import deliveries_queue, delivery_new
from campaigns.services.referrals import (
    referral_open,
    referral_purchase_available,
    referral_purchase_recorded_available,
    referral_purchase_refunded,
)
from campaigns.tasks import deliveries_kick
from config.events.models import Event
from config.events.registry import consumer
from loyalty.events import POINTS_MATURED, PURCHASE_RECORDED, PURCHASE_REFUNDED, TIER_CHANGED
from loyalty.models.ledger import TierChangeReason
from loyalty.rules.tiers import tier_rank
from loyalty.selectors.program import program_in_force
from loyalty.services.tiers import tier_notice_claim
from members.events import MEMBER_ENROLLED

WELCOME = AutomationCode.WELCOME.value

# An event this old when first handed over is history (the consumer is new, or the dispatcher
# was down for days): nobody is welcomed, or told of a review, a week late.
STALE_AFTER = datetime.timedelta(days=7)


def _happened_long_ago(event: Event) -> bool:
    """What it reports happened a week ago or more (history recorded today): not news."""
    return event.occurred_at < timezone.now() - STALE_AFTER


def _is_stale(event: Event) -> bool:
    """Recorded a week ago or more (what it reports may have happened earlier: a purchase
    recorded today with last week's date is news today)."""
    return event.created_at < timezone.now() - STALE_AFTER


# The name it had in loyalty, where it mailed the notice itself: the name keys the consumer's
# delivery state, so the events it settled there stay settled.
@consumer("tier_notice", kinds=[TIER_CHANGED])
def tier_notice(event: Event) -> None:
    """Queue the tier-change notice on the delivery log (automation `tier_change`, once per tier
    change), in the dispatcher's transaction: an upgrade at once, a downgrade when the yearly
    review makes it. For an upgrade, the claim of the change's notice, the delivery row and the
    event's delivery commit together. Imported history tells nobody; an upgrade whose notice
    was already given (a tier a refund took back and the same spend reached again) is marked
    notified before this runs, and nothing is queued. Nothing when the automation is off."""
    payload = event.payload
    if payload.get("imported") or not automation_enabled(TIER_CHANGE):
        return
    if payload["reason"] == TierChangeReason.UPGRADE:
        if _happened_long_ago(event):
            return  # a purchase recorded today with an old date moved the tier back then
        change = tier_notice_claim(tier_change_id=payload["tier_change_id"])
        if change is None:
            return
    elif payload["reason"] == TierChangeReason.REVIEW and not _is_stale(event):
        program = program_in_force(at=event.occurred_at)
        if program is None or tier_rank(program, payload["to"]) >= tier_rank(
            program, payload["from"]
        ):
            return
    else:
        return
    deliveries_queue(
        [
            delivery_new(
                member_id=payload["member_id"],
                automation=TIER_CHANGE,
                occasion=str(payload["tier_change_id"]),
                channel=CampaignChannel.EMAIL,
            )
        ]
    )
    deliveries_kick()


@consumer("welcome", kinds=[MEMBER_ENROLLED])
def welcome(event: Event) -> None:
    """Queue the welcome (automation `welcome`, once per member) for a customer joining now:
    not for history loaded from a file, nor for an enrolment a week old, nor when the
    automation is off."""
    payload = event.payload
    if payload.get("imported") or _is_stale(event) or not automation_enabled(WELCOME):
        return
    if _happened_long_ago(event):
        return  # enrolled with a date weeks back: not joining now
    member_id = payload["member_id"]
    deliveries_queue(
        [
            delivery_new(
                member_id=member_id,
                automation=WELCOME,
                occasion=str(member_id),
                channel=CampaignChannel.EMAIL,
            )
        ]
    )
    deliveries_kick()


@consumer("referral_open", kinds=[MEMBER_ENROLLED])
def referral_opened(event: Event) -> None:
    """A member who joined with a code: their referral, checked (self-referral, bursts) at once
    so staff see what is held. Not for history loaded from a file."""
    payload = event.payload
    if payload.get("imported") or not payload.get("referred_by_id"):
        return
    referral_open(referee_id=payload["member_id"])


@consumer("referral_reward", kinds=[POINTS_MATURED])
def referral_rewarded(event: Event) -> None:
    """A member's purchases became available: a referral whose first purchase is among them is
    rewarded (the maturing task runs every minute). Not a week late."""
    payload = event.payload
    if _is_stale(event) or not payload.get("purchase_ids"):
        return
    referral_purchase_available(
        referee_id=payload["member_id"], purchase_ids=payload["purchase_ids"]
    )


@consumer("referral_purchase", kinds=[PURCHASE_RECORDED])
def referral_purchase_recorded(event: Event) -> None:
    """A purchase available as soon as it is recorded (a program without a return window, or a
    purchase recorded after its window) never matures: for a referral it counts now. Not for
    history loaded from a file."""
    payload = event.payload
    if payload.get("imported") or _is_stale(event):
        return
    referral_purchase_recorded_available(
        member_id=payload["member_id"], external_id=payload["external_id"]
    )


@consumer("referral_refund", kinds=[PURCHASE_REFUNDED])
def referral_refunded(event: Event) -> None:
    """A refund of a referral's first purchase: rejected before the reward, taken back after."""
    referral_purchase_refunded(purchase_id=event.payload["purchase_id"])
