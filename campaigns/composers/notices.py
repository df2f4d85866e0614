"""The program notices moved onto the delivery log: the tier upgrade and the voucher about to
expire. Their texts are the ones these notices always had (the same translations)."""

from __future__ import annotations

from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from campaigns.channels import Message
from campaigns.composers.registry import Outdated, address_of, composer
from campaigns.models import Delivery, DeliveryPurpose
from loyalty.models import TierChange
from loyalty.selectors.program import ProgramNotConfigured, program_version_at, program_zone
from members.models import Member
from rewards.models import Voucher
from rewards.services.vouchers import voucher_qr_absolute_url

TIER_CHANGE = "tier_change"
VOUCHER_EXPIRING = "voucher_expiring"


def _greeting_name(member: Member) -> str:
    return member.user.first_name or member.user.email


@composer(TIER_CHANGE, purpose=DeliveryPurpose.NOTICE)
def tier_change(delivery: Delivery, member: Member) -> Message:
    """The upgrade ("You are now Gold"): the occasion is the upgrade's TierChange."""
    change = TierChange.objects.filter(pk=int(delivery.occasion), member_id=member.pk).first()
    if change is None:
        raise Outdated(f"tier change {delivery.occasion} is gone")
    try:
        tier = program_version_at(at=change.at).definition.tier(change.to_code)
    except ProgramNotConfigured:
        tier = None
    with translation.override(member.language):
        name = tier.localized_name(member.language) if tier else change.to_code
        subject = _("You are now %(tier)s") % {"tier": name}
        body = _(
            "Hello %(name)s,\n\nYour purchases have taken you to the %(tier)s tier. "
            "Enjoy its benefits from your next purchase.\n"
        ) % {"name": _greeting_name(member), "tier": name}
    return Message(
        to=address_of(member, delivery.channel),
        subject=subject,
        text=body,
        language=member.language,
    )


@composer(VOUCHER_EXPIRING, purpose=DeliveryPurpose.NOTICE)
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
        reward = voucher.redemption.localized_name(member.language)
        expires = formats.date_format(
            timezone.localtime(voucher.expires_at, program_zone(at=now)),
            "DATE_FORMAT",
            use_l10n=True,
        )
        subject = _("Your voucher for %(reward)s expires soon") % {"reward": reward}
        body = _(
            "Hello %(name)s,\n\nYour voucher for %(reward)s is still unused and expires on "
            "%(date)s. Show this code at the till to use it:\n\n    %(code)s\n\n"
            "See it with its QR code: %(url)s\n"
        ) % {
            "name": _greeting_name(member),
            "reward": reward,
            "date": expires,
            "code": voucher.code,
            "url": voucher_qr_absolute_url(voucher),
        }
    return Message(
        to=address_of(member, delivery.channel),
        subject=subject,
        text=body,
        language=member.language,
    )
