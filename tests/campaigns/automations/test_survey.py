"""Surveys: N days after a purchase, at most one per member every 90 days; a signed page in
the member's language, usable without signing in, answered once; the survey bonus once."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.links import survey_token
from campaigns.models import Delivery, Survey
from campaigns.services.automations import automation_update
from campaigns.services.sending import deliveries_send
from campaigns.services.surveys import surveys_queue
from loyalty.models import LedgerEntry
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import MemberFactory

UTC = datetime.UTC
counter = iter(range(10_000))


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def buy(member, when):
    purchase, _created = purchase_record(
        member=member,
        external_id=f"sv-{next(counter)}",
        amount=Decimal("25.00"),
        currency="EUR",
        purchased_at=when,
        channel="store",
    )
    return purchase


@pytest.fixture
def chloe(program, time_machine):
    time_machine.move_to(at("2027-03-01T10:00:00"), tick=False)
    automation_update(code="survey", enabled=True)
    return MemberFactory(
        email="chloe@example.fr", first_name="Chloé", language="fr", marketing_email_opt_in=True
    )


@pytest.mark.django_db
def test_a_purchase_is_surveyed_three_days_later_at_most_once_in_90_days(chloe, time_machine):
    buy(chloe, at("2027-03-01T10:00:00"))
    time_machine.move_to(at("2027-03-04T03:55:00"), tick=False)
    assert surveys_queue() == 0  # not three days yet
    time_machine.move_to(at("2027-03-05T03:55:00"), tick=False)
    assert surveys_queue() == 1
    assert surveys_queue() == 0
    # A purchase a week later is inside the 90 days: no second survey.
    time_machine.move_to(at("2027-03-08T10:00:00"), tick=False)
    buy(chloe, at("2027-03-08T10:00:00"))
    time_machine.move_to(at("2027-03-12T03:55:00"), tick=False)
    assert surveys_queue() == 0
    time_machine.move_to(at("2027-06-10T10:00:00"), tick=False)
    buy(chloe, at("2027-06-10T10:00:00"))
    time_machine.move_to(at("2027-06-14T03:55:00"), tick=False)
    assert surveys_queue() == 1
    assert Survey.objects.filter(member=chloe).count() == 2


@pytest.mark.django_db
def test_the_mail_links_to_a_page_in_french_answered_once_with_the_bonus_once(
    chloe, time_machine, smtp_outbox, client
):
    buy(chloe, at("2027-03-01T10:00:00"))
    time_machine.move_to(at("2027-03-05T09:00:00"), tick=False)
    surveys_queue()
    assert deliveries_send().sent == 1
    (mail,) = smtp_outbox.mails
    link = next(url for url in mail.links() if "/s/" in url)
    path = re.sub(r"^https?://[^/]+", "", link)

    page = client.get(path)  # nobody signed in
    assert page.status_code == 200
    html = page.content.decode()
    assert 'lang="fr"' in html or page["Content-Language"] == "fr"
    assert "recommandiez" in html

    refused = client.post(path, {"score": "11"})
    assert refused.status_code == 400
    assert "0 à 10" in refused.content.decode()
    assert Survey.objects.get().answered_at is None

    client.post(path, {"score": "9", "comment": "Très bon accueil"})
    client.post(path, {"score": "2", "comment": "changed my mind"})
    answered = Survey.objects.get()
    assert (answered.score, answered.comment) == (9, "Très bon accueil")
    bonus = LedgerEntry.objects.filter(member=chloe, bonus_key__startswith="survey_answered:")
    assert list(bonus.values_list("points", flat=True)) == [20]


@pytest.mark.django_db
def test_a_forged_or_foreign_token_is_not_found(chloe, client):
    assert client.get(reverse("survey", args=["nonsense"])).status_code == 404
    assert client.get(reverse("survey", args=[survey_token(survey_pk=999)])).status_code == 404


@pytest.mark.django_db
def test_without_marketing_consent_nobody_is_surveyed_by_mail(chloe, time_machine):
    chloe.marketing_email_opt_in = False
    chloe.save(update_fields=["marketing_email_opt_in"])
    buy(chloe, at("2027-03-01T10:00:00"))
    time_machine.move_to(at("2027-03-05T09:00:00"), tick=False)
    surveys_queue()
    deliveries_send()
    assert Delivery.objects.get(automation="survey").reason == "no_consent"
