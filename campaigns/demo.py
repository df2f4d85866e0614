"""The marketer's side of `make run`: two segments and three campaigns (one sent, with its
results; one scheduled for next week; one draft), made through the services as a marketer would.
The sent campaign's log says what a real send would have left (sent, opened, clicked, held out,
skipped) without printing a mail per member to the console."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, Delivery, DeliveryStatus, SkipReason, Survey
from campaigns.services.birthdays import birthday_give
from campaigns.services.campaigns import (
    campaign_create,
    campaign_schedule,
    campaign_start,
    campaigns_finish,
)
from campaigns.services.referrals import referral_open, referral_purchase_available
from campaigns.services.segments import segment_create
from campaigns.services.surveys import survey_answer
from loyalty.models import Purchase
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import lots_mature
from loyalty.services.purchases import purchase_record
from members.models import Member
from members.services import signup_address_hash

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
    automations = _automations(now)
    return [
        ("(no login)", "2 segments, 3 campaigns (sent, scheduled, draft)", ""),
        ("(no login)", automations, ""),
    ]


def _automations(now: datetime.datetime) -> str:
    """A referral rewarded (the friend's first purchase past its return window), six sign-ups
    with one code from one address held for review, and a birthday gift given this week: each
    through the services the automations use, their messages recorded as sent."""
    members = list(Member.objects.filter(referred_by__isnull=True).order_by("pk")[:3])
    if len(members) < 3:
        return "no automation examples (too few members)"
    referrer, crowd, birthday_member = members
    friend = member_join(
        email="friend.referral@tessera.test",
        first_name="Marta",
        language="es",
        referral_code=referrer.referral_code,
        joined_at=now - datetime.timedelta(days=40),
    )
    referral_open(referee_id=friend.pk)
    purchase, _created = purchase_record(
        member=friend,
        external_id="demo-referral-1",
        amount=Decimal("64.90"),
        currency="EUR",
        purchased_at=now - datetime.timedelta(days=30),
        channel="store",
    )
    lots_mature(member=friend, at=now - datetime.timedelta(days=15))
    referral_purchase_available(
        referee_id=friend.pk, purchase_ids=[purchase.pk], at=now - datetime.timedelta(days=15)
    )
    for n in range(6):
        burst = member_join(
            email=f"burst{n}@tessera.test",
            first_name=f"Lead {n + 1}",
            language="en",
            referral_code=crowd.referral_code,
            joined_at=now - datetime.timedelta(days=9, hours=6 - n),
        )
        Member.objects.filter(pk=burst.pk).update(
            signup_address=signup_address_hash("203.0.113.50")
        )
        referral_open(referee_id=burst.pk)
    year = now.year
    birthday_give(
        member_id=birthday_member.pk,
        year=year,
        at=now - datetime.timedelta(days=2),
        announce=True,
    )
    _survey_answers(now)
    sent_at = now - datetime.timedelta(days=2)
    Delivery.objects.filter(
        automation__in=["referral", "birthday"], status=DeliveryStatus.QUEUED
    ).update(status=DeliveryStatus.SENT, handed_at=sent_at, sent_at=sent_at, attempts=1)
    return "automations: a referral rewarded, 6 held for review, a birthday gift, 12 survey answers"


# (score, comment) of the demo's survey answers: an NPS a shop would recognise.
SURVEY_ANSWERS = [
    (10, "Muy buena atención, volveré."),
    (9, ""),
    (9, "Le conseil sur les vins était parfait."),
    (10, ""),
    (8, "Good selection, a bit pricey."),
    (7, ""),
    (10, "¡Me encanta la cata de los jueves!"),
    (6, "La cola en caja era larga."),
    (9, ""),
    (3, "Le produit était en rupture de stock."),
    (8, ""),
    (10, "Great staff."),
]


def _survey_answers(now: datetime.datetime) -> None:
    """Surveys of recent purchases, answered (with the survey bonus), as the survey automation
    would have left them had it been on."""
    purchases = Purchase.objects.filter(purchased_at__lt=now - datetime.timedelta(days=4))
    chosen = list(purchases.order_by("-purchased_at")[: len(SURVEY_ANSWERS) * 3 : 3])
    for purchase, (score, comment) in zip(chosen, SURVEY_ANSWERS, strict=False):
        asked = purchase.purchased_at + datetime.timedelta(days=3)
        survey = Survey.objects.create(member=purchase.member, purchase=purchase, created_at=asked)
        survey_answer(
            survey=survey, score=score, comment=comment, at=asked + datetime.timedelta(hours=5)
        )


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
