"""Every merge field of CAMPAIGNS.md in the mail a member receives, through a real SMTP
conversation: in the member's language (es, fr, en), with numbers, money and dates formatted for
it, in both the text and the HTML part, and with the one-click unsubscribe headers.

The expected values are written out by hand from the example program's rules, not computed by
the code under test, so a value in the wrong language or format fails here."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from campaigns.content import MERGE_FIELDS
from campaigns.links import unsubscribe_read
from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.campaigns import (
    campaign_create,
    campaign_schedule,
    campaigns_finish,
    campaigns_start_due,
)
from campaigns.services.sending import deliveries_send
from loyalty.services.ledger import lots_mature
from loyalty.services.purchases import purchase_record
from rewards.models import Voucher
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db

NBSP = "\N{NO-BREAK SPACE}"
# Each field on a line of its own, labelled, so a value is found where its field stands (a bare
# "25" would match a date). Every language's text uses every field; voucher_code needs the
# campaign to offer a reward, so it does.
BODY = "\n".join(f"[{name}] {{{{ {name} }}}}" for name in MERGE_FIELDS)
CONTENT = {
    "es": {"subject": "Hola {{ first_name }}, {{ points }} puntos", "body": f"Su cuenta:\n{BODY}"},
    "fr": {"subject": "Bonjour {{ first_name }}, {{ points }} points", "body": f"Compte :\n{BODY}"},
    "en": {"subject": "Hello {{ first_name }}, {{ points }} points", "body": f"Account:\n{BODY}"},
}
# From the example program, at NOW (2 December 2026): 1,234.00 EUR bought 340 days ago (1,234
# points + 50 for the big basket, available, expiring 12 months after it, on 27 December 2026),
# 20.00 EUR bought 5 days ago at silver (x1.25: 25 points, pending for 14 days), the sign-up's
# 100 points; 1,254.00 EUR spent in the window: silver, 246.00 EUR short of gold (1,500).
EXPECTED = {
    "es": {
        "first_name": "Ana",
        "points": f"1{NBSP}384",  # the RAE groups with a space, as Django does
        "pending_points": "25",
        "tier": "Plata",
        "next_tier": "Oro",
        "amount_to_next_tier": f"246,00{NBSP}€",
        "expiring_points": f"1{NBSP}284",
        "expiring_on": "27 de diciembre de 2026",
    },
    "fr": {
        "first_name": "Lucie",
        "points": f"1{NBSP}384",
        "pending_points": "25",
        "tier": "Argent",
        "next_tier": "Or",
        "amount_to_next_tier": f"246,00{NBSP}€",
        "expiring_points": f"1{NBSP}284",
        "expiring_on": "27 décembre 2026",
    },
    "en": {
        "first_name": "Ben",
        "points": "1,384",
        "pending_points": "25",
        "tier": "Silver",
        "next_tier": "Gold",
        "amount_to_next_tier": "€246.00",
        "expiring_points": "1,284",
        "expiring_on": "27 December 2026",
    },
}
SUBJECTS = {"es": f"Hola Ana, 1{NBSP}384 puntos", "fr": f"Bonjour Lucie, 1{NBSP}384 points"}
SUBJECTS["en"] = "Hello Ben, 1,384 points"


@pytest.fixture
def https_site(settings):
    # CAMPAIGNS.md: List-Unsubscribe carries an https link; production's SITE_URL is https.
    settings.SITE_URL = "https://loyalty.example"
    return settings.SITE_URL


def _member_with_history(language: str, now: datetime.datetime):
    member = MemberFactory(
        email=f"{language}@example.com",
        first_name=EXPECTED[language]["first_name"],
        language=language,
        marketing_email_opt_in=True,
    )
    for days_ago, amount in ((340, "1234.00"), (5, "20.00")):
        purchase_record(
            member=member,
            external_id=f"{language}-{days_ago}",
            amount=Decimal(amount),
            currency="EUR",
            purchased_at=now - datetime.timedelta(days=days_ago),
            channel="online",
        )
    lots_mature(member=member)  # the old purchase's return window is long over
    return member


def _parts(mail) -> tuple[str, str]:
    text = mail.message.get_body(preferencelist=("plain",)).get_content()
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    return text, html


def _send(campaign, now):
    campaign_schedule(campaign=campaign)
    assert campaigns_start_due(at=now) == 1
    report = deliveries_send()
    campaigns_finish()
    return report


def test_every_merge_field_reaches_each_member_in_their_language_and_format(
    everyone, program, now, smtp_outbox, https_site
):
    members = {language: _member_with_history(language, now) for language in EXPECTED}
    campaign = campaign_create(
        code="fields",
        name="Fields",
        segment="everyone",
        content=CONTENT,
        offer={"reward": "free-bottle"},
    )

    assert _send(campaign, now).sent == 3

    portal_url = https_site + reverse("members:home")
    for language, member in members.items():
        (mail,) = smtp_outbox.mails_to(member.user.email)
        text, html = _parts(mail)
        assert mail.subject == SUBJECTS[language]
        assert text.startswith(CONTENT[language]["body"].split("\n", 1)[0])
        header = str(mail.message["List-Unsubscribe"]).strip()
        assert re.fullmatch(r"<https://loyalty\.example/[^>]+>", header), header
        assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        unsubscribe = header[1:-1]
        # The link is this member's, for marketing email.
        token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
        assert unsubscribe_read(token) == (member.pk, "email")
        # The voucher the offer gave this member with the message (one, of the offered reward).
        (voucher,) = Voucher.objects.filter(redemption__member=member)
        assert voucher.redemption.reward_code == "free-bottle"
        expected = {
            **EXPECTED[language],
            "voucher_code": voucher.code,
            "portal_url": portal_url,
            "unsubscribe_url": unsubscribe,
        }
        assert set(expected) == set(MERGE_FIELDS)  # every field is checked
        for name, value in expected.items():
            line = f"[{name}] {value}"
            assert line in text.splitlines(), (language, name, value)
            if name.endswith("_url"):  # in HTML a web address is a link reading the address
                link = rf'\[{name}\] <a href="[^"]+">{re.escape(escape(value))}</a>'
                assert re.search(link, html), (language, name, value)
            else:
                assert escape(line) in html, (language, name, value)
        # The unsubscribe link is never a tracking redirect.
        assert f'<a href="{escape(unsubscribe)}">' in html
        assert f'<html lang="{language}">' in html
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
