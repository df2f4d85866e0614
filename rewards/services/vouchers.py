"""The till's side of a voucher (consume) and the vouchers' time (expiry, reminder)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from loyalty.selectors.program import program_zone
from members.status import MemberBlocked
from rewards.codes import voucher_code_normalize
from rewards.errors import VoucherNotFound, VoucherNotUsable
from rewards.events import voucher_consumed
from rewards.models import Voucher, VoucherStatus

# "A few days before": far enough ahead to plan a visit to the shop.
REMINDER_DAYS_BEFORE = 3
ORDER_REF_MAX_LENGTH = 100


def voucher_consume(*, code: str, order_ref: str, actor=None) -> Voucher:
    """Use the voucher for `order_ref`, once. The conditional UPDATE (issued and not expired) is
    the whole guard: of two tills racing, exactly one changes the row. Raises VoucherNotFound,
    VoucherNotUsable with the reason (consumed, expired, cancelled), or MemberBlocked when the
    voucher is usable but its member is blocked (nothing is written)."""
    normalized = voucher_code_normalize(code)
    if normalized is None:
        raise VoucherNotFound()
    now = timezone.now()
    voucher = Voucher.objects.select_related("redemption__member").filter(code=normalized).first()
    if voucher is None:
        raise VoucherNotFound()
    # The member's status is read here, not joined into the UPDATE: a join would move the
    # UPDATE's conditions into a subquery that sees the voucher as it was before a racing till's
    # commit, and both tills would consume it. A block committed after this read came after
    # the consumption.
    member = voucher.redemption.member
    if member.is_blocked and voucher.is_usable(now):
        raise MemberBlocked(member=member)
    with transaction.atomic():
        consumed = Voucher.objects.filter(
            pk=voucher.pk, status=VoucherStatus.ISSUED, expires_at__gt=now
        ).update(
            status=VoucherStatus.CONSUMED,
            consumed_at=now,
            order_ref=order_ref[:ORDER_REF_MAX_LENGTH],
            consumed_by=actor,
        )
        if consumed != 1:
            voucher.refresh_from_db(fields=["status", "expires_at"])
            raise VoucherNotUsable(reason=voucher.status_at(now))
        voucher.status = VoucherStatus.CONSUMED
        voucher.consumed_at = now
        voucher.order_ref = order_ref[:ORDER_REF_MAX_LENGTH]
        voucher.consumed_by = actor
        voucher_consumed(voucher=voucher, redemption=voucher.redemption)
    return voucher


def vouchers_expire(*, at: datetime.datetime | None = None) -> int:
    """Mark every issued voucher past its expiry as expired. Returns how many; 0 when run again
    (they are no longer `issued`). Expired vouchers give no points back."""
    at = at or timezone.now()
    return Voucher.objects.filter(status=VoucherStatus.ISSUED, expires_at__lte=at).update(
        status=VoucherStatus.EXPIRED, expired_at=at
    )


def voucher_reminder_send(*, voucher_id: int, at: datetime.datetime | None = None) -> bool:
    """Mail the member, in their language, that their unused voucher expires soon; once per
    voucher. The claim (`reminded_at` set where it is NULL) and the mail share a transaction: a
    concurrent duplicate waits on the row and then claims nothing; a failed send rolls the claim
    back so a retry sends it. Returns whether it sent."""
    at = at or timezone.now()
    with transaction.atomic():
        claimed = Voucher.objects.filter(
            pk=voucher_id,
            reminded_at__isnull=True,
            status=VoucherStatus.ISSUED,
            expires_at__gt=at,
        ).update(reminded_at=at)
        if claimed != 1:
            return False
        voucher = Voucher.objects.select_related("redemption__member__user").get(pk=voucher_id)
        member = voucher.redemption.member
        with translation.override(member.language):
            reward = voucher.redemption.localized_name(member.language)
            expires = formats.date_format(
                timezone.localtime(voucher.expires_at, program_zone(at=at)),
                "DATE_FORMAT",
                use_l10n=True,
            )
            subject = _("Your voucher for %(reward)s expires soon") % {"reward": reward}
            body = _(
                "Hello %(name)s,\n\nYour voucher for %(reward)s is still unused and expires on "
                "%(date)s. Show this code at the till to use it:\n\n    %(code)s\n\n"
                "See it with its QR code: %(url)s\n"
            ) % {
                "name": member.user.first_name or member.user.email,
                "reward": reward,
                "date": expires,
                "code": voucher.code,
                "url": voucher_qr_absolute_url(voucher),
            }
        send_mail(subject, body, None, [member.user.email])
        return True


def voucher_qr_absolute_url(voucher: Voucher) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("voucher-qr", kwargs={"code": voucher.code})
