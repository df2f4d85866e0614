"""The till's side of a voucher (consume) and the vouchers' time (expiry, and the claim of the
expiry reminder that campaigns queues and sends)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from members.status import MemberBlocked
from rewards.codes import voucher_code_normalize
from rewards.errors import VoucherNotFound, VoucherNotUsable
from rewards.events import voucher_consumed
from rewards.models import Voucher, VoucherStatus

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


def vouchers_reminder_claim(
    *, voucher_ids: list[int], at: datetime.datetime | None = None
) -> list[tuple[int, int]]:
    """Claim the expiry reminder of each of these vouchers that is still unused, unexpired and
    never reminded about: `reminded_at` is set, in the caller's transaction (which queues the
    reminders, campaigns.services.reminders). Returns (voucher id, member id) per voucher
    claimed. The rows are locked, so of two concurrent claims of a voucher one gets it: the
    other re-reads it after the first commits and finds it reminded."""
    at = at or timezone.now()
    with transaction.atomic():
        claimed = list(
            Voucher.objects.select_for_update(of=("self",))
            .filter(
                pk__in=voucher_ids,
                reminded_at__isnull=True,
                status=VoucherStatus.ISSUED,
                expires_at__gt=at,
            )
            .order_by("pk")
            .values_list("pk", "redemption__member_id")
        )
        Voucher.objects.filter(pk__in=[pk for pk, _member in claimed]).update(reminded_at=at)
    return claimed


def voucher_qr_absolute_url(voucher: Voucher) -> str:
    from django.urls import reverse

    return settings.SITE_URL + reverse("voucher-qr", kwargs={"code": voucher.code})
