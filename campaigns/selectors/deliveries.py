"""Reads of the delivery log: a campaign's counts (API.md: `counts`), its rows by status, the
rows whose fate is unknown (what "send these again" offers), and whether it is done."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from campaigns.models import Campaign, Delivery, DeliveryStatus

# A row still on its way: queued (claimed or not) or being handed over.
_IN_FLIGHT = (DeliveryStatus.QUEUED, DeliveryStatus.HANDING)


def campaign_delivery_counts(*, campaign: Campaign) -> dict[str, int]:
    """One query: rows per status (a row being handed over counts as queued), and how many
    were opened and clicked."""
    counts = Delivery.objects.filter(campaign=campaign).aggregate(
        queued=Count("pk", filter=Q(status__in=_IN_FLIGHT)),
        holdout=Count("pk", filter=Q(status=DeliveryStatus.HOLDOUT)),
        skipped=Count("pk", filter=Q(status=DeliveryStatus.SKIPPED)),
        sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)),
        failed=Count("pk", filter=Q(status=DeliveryStatus.FAILED)),
        unknown=Count("pk", filter=Q(status=DeliveryStatus.UNKNOWN)),
        opened=Count("pk", filter=Q(opened_at__isnull=False)),
        clicked=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    return {name: int(value or 0) for name, value in counts.items()}


def delivery_list_for_campaign(
    *, campaign: Campaign, status: str | None = None
) -> QuerySet[Delivery]:
    """The campaign's log, newest first, with each row's member (and user)."""
    rows = Delivery.objects.filter(campaign=campaign).select_related("member__user")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-created_at", "-pk")


def deliveries_unknown_for_campaign(*, campaign: Campaign) -> QuerySet[Delivery]:
    return delivery_list_for_campaign(campaign=campaign, status=DeliveryStatus.UNKNOWN)


def campaign_is_settled(*, campaign: Campaign) -> bool:
    """Whether no row of the campaign is left queued or being handed over (CAMPAIGNS.md: the
    campaign is `sent` then, `unknown` rows included)."""
    return not Delivery.objects.filter(campaign=campaign, status__in=_IN_FLIGHT).exists()
