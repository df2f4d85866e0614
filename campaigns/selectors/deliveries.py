"""Reads of the delivery log: a campaign's counts (API.md: `counts`), its rows by status, the
rows whose fate is unknown (what "send these again" offers), and whether it is done."""

from __future__ import annotations

from django.db.models import Count, F, Q, QuerySet

from campaigns.models import Campaign, Delivery, DeliveryStatus

# A row still on its way: queued (claimed or not) or being handed over.
_IN_FLIGHT = (DeliveryStatus.QUEUED, DeliveryStatus.HANDING)


_COUNTS = {
    "queued": Q(status__in=_IN_FLIGHT),
    "holdout": Q(status=DeliveryStatus.HOLDOUT),
    "skipped": Q(status=DeliveryStatus.SKIPPED),
    "sent": Q(status=DeliveryStatus.SENT),
    "failed": Q(status=DeliveryStatus.FAILED),
    "unknown": Q(status=DeliveryStatus.UNKNOWN),
    "opened": Q(opened_at__isnull=False),
    "clicked": Q(clicked_at__isnull=False),
}


def campaign_delivery_counts(*, campaign: Campaign) -> dict[str, int]:
    """One query: rows per status (a row being handed over counts as queued), and how many
    were opened and clicked."""
    counts = Delivery.objects.filter(campaign=campaign).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in _COUNTS.items()}
    )
    return {name: int(value or 0) for name, value in counts.items()}


def campaign_delivery_counts_of(*, campaigns) -> dict[int, dict[str, int]]:
    """campaign_delivery_counts for many campaigns in one grouped query (a list page)."""
    found = {campaign.pk: dict.fromkeys(_COUNTS, 0) for campaign in campaigns}
    rows = (
        Delivery.objects.filter(campaign_id__in=list(found))
        .values("campaign_id")
        .annotate(**{name: Count("pk", filter=condition) for name, condition in _COUNTS.items()})
    )
    for row in rows:
        found[row.pop("campaign_id")] = {name: int(row[name]) for name in _COUNTS}
    return found


def delivery_list_for_campaign(
    *, campaign: Campaign, status: str | None = None
) -> QuerySet[Delivery]:
    """The campaign's log, the latest handed over first (those not handed over yet last, in the
    order they were queued), with each row's member (and user)."""
    rows = Delivery.objects.filter(campaign=campaign).select_related("member__user")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by(F("handed_at").desc(nulls_last=True), "pk")


def deliveries_unknown_for_campaign(*, campaign: Campaign) -> QuerySet[Delivery]:
    return delivery_list_for_campaign(campaign=campaign, status=DeliveryStatus.UNKNOWN)


def campaign_is_settled(*, campaign: Campaign) -> bool:
    """Whether no row of the campaign is left queued or being handed over (CAMPAIGNS.md: the
    campaign is `sent` then, `unknown` rows included)."""
    return not Delivery.objects.filter(campaign=campaign, status__in=_IN_FLIGHT).exists()
