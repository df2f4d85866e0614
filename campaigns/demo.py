"""The marketer's side of `make run`: two segments and three campaigns (one sent, with its
results; one scheduled for next week; one draft), made through the services as a marketer would.
The sent campaign's log says what a real send would have left (sent, opened, clicked, held out,
skipped) without printing a mail per member to the console."""

from __future__ import annotations

import datetime
import random

from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Delivery, DeliveryStatus, SkipReason
from campaigns.services.campaigns import (
    campaign_create,
    campaign_schedule,
    campaign_start,
    campaigns_finish,
)
from campaigns.services.segments import segment_create

SEGMENTS = [
    {
        "code": "spanish-email",
        "names": {
            "en": "Spanish speakers who accept email",
            "es": "Hispanohablantes que aceptan correo",
            "fr": "Hispanophones acceptant l'e-mail",
        },
        "match": "all",
        "rules": [
            {"field": "language", "op": "eq", "value": "es"},
            {"field": "consent", "op": "eq", "value": "email"},
        ],
    },
    {
        "code": "lapsed-buyers",
        "names": {
            "en": "Bought before, not in 60 days",
            "es": "Compraron, pero no en 60 días",
            "fr": "Acheteurs absents depuis 60 jours",
        },
        "match": "all",
        "rules": [
            {"field": "purchases", "op": "gte", "value": 2},
            {"field": "days_since_last_purchase", "op": "gte", "value": 60},
        ],
    },
]

WINE = {
    "es": {
        "subject": "{{ first_name }}, sus vinos de diciembre",
        "body": "Hola {{ first_name }}:\n\nTiene {{ points }} puntos. Esta semana, doble de "
        "puntos en vino.\n\nVea sus recompensas: {{ portal_url }}",
    },
    "en": {
        "subject": "{{ first_name }}, your December wines",
        "body": "Hello {{ first_name }},\n\nYou have {{ points }} points. This week, double "
        "points on wine.\n\nSee your rewards: {{ portal_url }}",
    },
}
COMEBACK = {
    "es": {
        "subject": "Le echamos de menos, {{ first_name }}",
        "body": "Le regalamos 100 puntos: ya tiene {{ points }} esperándole. Vuelva a vernos: "
        "{{ portal_url }}",
    },
    "fr": {
        "subject": "Vous nous manquez, {{ first_name }}",
        "body": "Nous vous offrons 100 points : vous en avez déjà {{ points }} qui vous "
        "attendent. Revenez nous voir : {{ portal_url }}",
    },
    "en": {
        "subject": "We miss you, {{ first_name }}",
        "body": "Here are 100 points on us: you already have {{ points }} waiting. Come and "
        "see us again: {{ portal_url }}",
    },
}


def load() -> list[tuple[str, str, str]]:
    if Campaign.objects.exists():
        return []
    now = timezone.now()
    for segment in SEGMENTS:
        segment_create(**segment)
    sent = campaign_create(
        code="december-wines",
        name="December wines",
        segment="spanish-email",
        content=WINE,
        holdout_percent=10,
    )
    campaign_schedule(campaign=sent)
    campaign_start(campaign_pk=sent.pk, at=now - datetime.timedelta(days=3))
    _results(sent, at=now - datetime.timedelta(days=3))
    campaigns_finish(at=now - datetime.timedelta(days=3))
    scheduled = campaign_create(
        code="comeback",
        name="Come back",
        segment="lapsed-buyers",
        content=COMEBACK,
        holdout_percent=20,
        offer={"points": 100},
    )
    campaign_schedule(
        campaign=scheduled,
        send_at=now + datetime.timedelta(days=7),
        local_time=datetime.time(10, 0),
    )
    campaign_create(
        code="new-year",
        name="New year (draft)",
        segment="spanish-email",
        content={"es": {"subject": "Feliz año, {{ first_name }}", "body": "Escriba aquí."}},
    )
    return [("(no login)", "2 segments, 3 campaigns (sent, scheduled, draft)", "")]


def _results(campaign: Campaign, *, at: datetime.datetime) -> None:
    """What the send left: most sent, a third of those opened, some clicked, a few skipped."""
    rng = random.Random(13)  # noqa: S311 - demo data, not security
    rows = Delivery.objects.filter(campaign=campaign, status=DeliveryStatus.QUEUED)
    for delivery in rows.order_by("pk"):
        draw = rng.random()
        sent_at = at + datetime.timedelta(seconds=rng.randint(1, 600))
        if draw < 0.05:
            fields = {"status": DeliveryStatus.SKIPPED, "reason": SkipReason.FREQUENCY_CAP}
        else:
            fields = {
                "status": DeliveryStatus.SENT,
                "handed_at": sent_at,
                "sent_at": sent_at,
                "attempts": 1,
                "language": "es",
            }
            if draw < 0.45:
                fields["opened_at"] = sent_at + datetime.timedelta(hours=rng.randint(1, 30))
            if draw < 0.15:
                fields["clicked_at"] = fields["opened_at"] + datetime.timedelta(minutes=2)
        Delivery.objects.filter(Q(pk=delivery.pk)).update(**fields)
