"""The program notices that moved onto the delivery log: the tier change and the voucher about
to expire, written like every automation's message (campaigns.composers.automations)."""

from __future__ import annotations

from django.utils import formats, timezone, translation

from campaigns.channels import Message
from campaigns.composers.automations import automation_composer, automation_message, prefetched
from campaigns.composers.registry import Outdated
from campaigns.models import AutomationCode, Delivery
from loyalty.models import TierChange
from loyalty.models.ledger import TierChangeReason
from loyalty.selectors.program import ProgramNotConfigured, program_version_at, program_zone
from members.models import Member
from rewards.models import Voucher
from rewards.services.vouchers import voucher_qr_absolute_url

TIER_CHANGE = AutomationCode.TIER_CHANGE.value
VOUCHER_EXPIRING = AutomationCode.VOUCHER_EXPIRING.value


def _tier_changes(rows) -> dict:
    """The batch's tier changes, read at once."""
    return {"changes": TierChange.objects.in_bulk([int(row.occasion) for row in rows])}


@automation_composer(TIER_CHANGE, prefetch=_tier_changes)
def tier_change(delivery: Delivery, member: Member) -> Message:
    """The upgrade ("You are now Gold") or the review's downgrade: the occasion is the
    TierChange."""
    changes = prefetched(delivery).get("changes")
    if changes is None:  # composed alone
        change = TierChange.objects.filter(pk=int(delivery.occasion)).first()
    else:
        change = changes.get(int(delivery.occasion))
    if change is None or change.member_id != member.pk:
        raise Outdated(f"tier change {delivery.occasion} is gone")
    try:
        program = program_version_at(at=change.at).definition
    except ProgramNotConfigured:
        program = None

    def name(code: str) -> str:
        tier = program.tier(code) if program is not None and code else None
        return tier.localized_name(member.language) if tier else code

    message = "upgrade" if change.reason == TierChangeReason.UPGRADE else "downgrade"
    return automation_message(
        delivery,
        member,
        message=message,
        extra={"new_tier": name(change.to_code), "previous_tier": name(change.from_code)},
    )


@automation_composer(VOUCHER_EXPIRING)
def voucher_expiring(delivery: Delivery, member: Member) -> Message:
    """The unused voucher expires soon: the occasion is the voucher. A voucher used, cancelled
    or expired since the reminder was queued is not worth a message any more."""
    voucher = (
        Voucher.objects.select_related("redemption")
        .filter(pk=int(delivery.occasion), redemption__member_id=member.pk)
        .first()
    )
    now = timezone.now()
    if voucher is None or not voucher.is_usable(now):
        raise Outdated(f"voucher {delivery.occasion} is no longer usable")
    with translation.override(member.language):
        expires = formats.date_format(
            timezone.localtime(voucher.expires_at, program_zone(at=now)),
            "DATE_FORMAT",
            use_l10n=True,
        )
    return automation_message(
        delivery,
        member,
        extra={
            "reward": voucher.redemption.localized_name(member.language),
            "voucher_code": voucher.code,
            "voucher_expires_on": expires,
            "voucher_url": voucher_qr_absolute_url(voucher),
        },
        at=now,
    )
