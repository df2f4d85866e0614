"""The figures of ANALYTICS.md the campaigns keep: NPS and the referral funnel for a period, and
each campaign's results against its holdout.

They sit here, a layer above analytics.figures (which knows members, purchases and the ledger
but not the delivery log, surveys or referrals), and use its counted purchases.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from analytics.figures import (
    Period,
    Sources,
    counted_purchases,
    figures_zone,
    money,
    period_summaries,
    rate,
)
from campaigns.models import Campaign, Delivery, DeliveryStatus, Referral, Survey
from campaigns.models.delivery import DeliveryPurpose, SkipReason
from campaigns.models.referrals import ReferralStatus
from campaigns.selectors.deliveries import campaign_delivery_counts
from campaigns.selectors.surveys import nps_of
from members.models import ConsentChange, ConsentSource

# A recipient (or a held-out member) converts with a counted purchase this long after the send.
CONVERSION_DAYS = 14


def nps_between(start: datetime.datetime, end: datetime.datetime) -> dict[str, Any]:
    """NPS over the survey answers given in `[start, end)` (None without answers)."""
    return nps_of(Survey.objects.filter(answered_at__gte=start, answered_at__lt=end))


def referral_funnel(start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    """Of the members who joined with a code in `[start, end)`: how many, how many have made a
    first purchase, and how many referrals were rewarded, are held for review, were rejected."""
    counts = Referral.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        sign_ups=Count("pk"),
        first_purchases=Count("pk", filter=Q(purchase__isnull=False)),
        rewarded=Count("pk", filter=Q(status=ReferralStatus.REWARDED)),
        held=Count("pk", filter=Q(status=ReferralStatus.HELD)),
        rejected=Count("pk", filter=Q(status=ReferralStatus.REJECTED)),
    )
    return {name: int(value or 0) for name, value in counts.items()}


def _after(field: str):
    """OuterRef(field) + the conversion window, for a purchase's upper bound."""
    return ExpressionWrapper(
        OuterRef(field) + datetime.timedelta(days=CONVERSION_DAYS), output_field=DateTimeField()
    )


def _group_outcome(rows, moment: str) -> dict[str, Any]:
    """Members in `rows` (delivery rows), how many made a counted purchase within the window
    after the row's `moment`, and what they spent in it."""
    window = counted_purchases().filter(
        member_id=OuterRef("member_id"),
        purchased_at__gt=OuterRef(moment),
        purchased_at__lte=_after(moment),
    )
    spent = window.order_by().values("member_id").annotate(total=Sum("net")).values("total")[:1]
    spent_by_member = Coalesce(
        Subquery(spent, output_field=DecimalField(max_digits=14, decimal_places=2)), Decimal(0)
    )
    totals = rows.aggregate(
        members=Count("pk"),
        converted=Count("pk", filter=Q(Exists(window))),
        revenue=Coalesce(Sum(spent_by_member), Decimal(0)),
    )
    members = totals["members"]
    return {
        "members": members,
        "revenue_exact": totals["revenue"],
        "converted": totals["converted"],
        "conversion": rate(totals["converted"], members),
        "revenue": money(totals["revenue"]),
        "revenue_per_member": money(totals["revenue"] / members) if members else None,
    }


def two_proportion_p_value(x1: int, n1: int, x2: int, n2: int) -> float | None:
    """The two-sided p-value of the two-proportion z-test (pooled): None when it cannot be
    computed (an empty group, or nobody or everybody converting in both)."""
    if not n1 or not n2:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return None
    z = (x1 / n1 - x2 / n2) / spread
    return math.erfc(abs(z) / math.sqrt(2))


def _unsubscribed(campaign: Campaign) -> int:
    """Recipients who left through an unsubscribe link while this campaign's message was the
    last marketing message they had been sent."""
    last_sent = (
        Delivery.objects.filter(
            member_id=OuterRef("member_id"),
            purpose=DeliveryPurpose.MARKETING,
            status=DeliveryStatus.SENT,
            sent_at__lte=OuterRef("at"),
        )
        .order_by("-sent_at", "-pk")
        .values("campaign_id")[:1]
    )
    recipients = Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.SENT)
    return (
        ConsentChange.objects.filter(
            source=ConsentSource.UNSUBSCRIBE,
            granted=False,
            member_id__in=recipients.values("member_id"),
        )
        .annotate(last_campaign=Subquery(last_sent))
        .filter(last_campaign=campaign.pk)
        .values("member_id")
        .distinct()
        .count()
    )


def campaign_results(*, campaign: Campaign) -> dict[str, Any]:
    """ANALYTICS.md's campaign results: the delivery log's counts, and for the recipients and
    the holdout the conversion within CONVERSION_DAYS of the send and the revenue per member,
    the uplift, the incremental revenue and the p-value. Without a holdout `has_holdout` is
    False and the comparisons are None: the page says what followed, not what was caused."""
    counts = campaign_delivery_counts(campaign=campaign)
    rows = Delivery.objects.filter(campaign=campaign)
    skipped = dict.fromkeys(SkipReason.values, 0)
    for row in (
        rows.filter(status=DeliveryStatus.SKIPPED).values("reason").annotate(count=Count("pk"))
    ):
        skipped[row["reason"]] = row["count"]
    recipients = _group_outcome(rows.filter(status=DeliveryStatus.SENT), "sent_at")
    # A held-out member was "sent" nothing, when the message would have gone.
    holdout = _group_outcome(rows.filter(status=DeliveryStatus.HOLDOUT), "due_at")
    has_holdout = holdout["members"] > 0
    comparable = has_holdout and recipients["members"] > 0
    uplift = incremental = p_value = None
    if comparable:
        n_r, n_h = recipients["members"], holdout["members"]
        uplift = rate(recipients["converted"] * n_h - holdout["converted"] * n_r, n_r * n_h)
        incremental = money(
            (recipients["revenue_exact"] / n_r - holdout["revenue_exact"] / n_h) * n_r
        )
        p_value = two_proportion_p_value(
            recipients["converted"], recipients["members"], holdout["converted"], holdout["members"]
        )
    for group in (recipients, holdout):
        del group["revenue_exact"]
    return {
        "code": campaign.code,
        "segment_size": rows.count(),
        "holdout_size": counts["holdout"],
        "queued": counts["queued"],
        "sent": counts["sent"],
        "failed": counts["failed"],
        "skipped": sum(skipped.values()),
        "skipped_by_reason": {reason: count for reason, count in skipped.items() if count},
        "unknown": counts["unknown"],
        "opened": counts["opened"],
        "clicked": counts["clicked"],
        "unsubscribed": _unsubscribed(campaign),
        "conversion_days": CONVERSION_DAYS,
        "recipients": recipients,
        "holdout": holdout,
        "has_holdout": has_holdout,
        "uplift": uplift,
        "incremental_revenue": incremental,
        "p_value": None if p_value is None else Decimal(str(round(p_value, 4))),
    }


def analytics_summary(period: Period, sources: Sources | None = None) -> dict[str, Any]:
    """Every figure of ANALYTICS.md's table for `period` (analytics.figures' and the two the
    campaigns keep), and the same for the previous period of equal length under `previous`.
    `sources`: where purchase figures are counted (analytics.figures.Sources; now's by default),
    read once for both periods."""
    zone = figures_zone()
    sources = sources or Sources.now(zone)

    def with_campaign_figures(of: Period, found: dict[str, Any]) -> dict[str, Any]:
        start, end = of.bounds(zone)
        nps = nps_between(start, end)
        return {
            **found,
            "nps": nps["nps"],
            "nps_answers": nps,
            "referral_funnel": referral_funnel(start, end),
        }

    periods = [period, period.previous()]
    current, previous = (
        with_campaign_figures(of, found)
        for of, found in zip(periods, period_summaries(periods, sources), strict=True)
    )
    return {**current, "previous": previous}
