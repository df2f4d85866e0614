"""The marketer's campaign pages: marketers and managers may, cashiers may not; a draft is
refused at its field, scheduled, paused, resumed, cancelled; preview and test send; the figures
and the delivery log with its filter; in the marketer's language."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Delivery
from campaigns.services.campaigns import campaign_create, campaigns_start_due
from campaigns.services.segments import segment_create

pytestmark = pytest.mark.django_db

DRAFT = {
    "code": "winter",
    "name": "Winter",
    "channel": "email",
    "segment": "everyone",
    "holdout_percent": "0",
    "offer_kind": "none",
    "subject_es": "Hola {{ first_name }}",
    "body_es": "Tiene {{ points }} puntos.",
    "subject_en": "",
    "body_en": "",
    "subject_fr": "",
    "body_fr": "",
}


@pytest.fixture
def everyone(program, alice):
    return segment_create(code="everyone", names={"en": "Everyone"}, match="all", rules=[])


@pytest.fixture
def winter(everyone):
    return campaign_create(
        code="winter", name="Winter", segment="everyone",
        content={"es": {"subject": "Hola {{ first_name }}", "body": "Tiene {{ points }} puntos."}},
    )  # fmt: skip


@pytest.mark.parametrize("role", ["cashier"])
def test_a_cashier_may_not(client, role, request, winter):
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("staff:campaigns"),
        reverse("staff:campaign_new"),
        reverse("staff:campaign", args=["winter"]),
    ):
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("staff:campaign_action", args=["winter", "cancel"])).status_code == 403
    )
    assert Campaign.objects.get().state == "draft"


@pytest.mark.parametrize("role", ["marketer", "manager"])
def test_marketers_and_managers_create_a_draft(client, role, request, everyone):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("staff:campaigns")).status_code == 200
    response = client.post(reverse("staff:campaign_new"), DRAFT)
    assert response.status_code == 302
    assert Campaign.objects.get().content == {
        "es": {"subject": "Hola {{ first_name }}", "body": "Tiene {{ points }} puntos."}
    }


def test_an_unknown_merge_field_is_refused_at_its_field_in_the_marketers_language(
    client, marketer, everyone
):
    client.force_login(marketer)
    response = client.post(
        reverse("staff:campaign_new"),
        DRAFT | {"body_es": "Hola {{ nombre }}"},
        headers={"accept-language": "es"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["body_es"]
    assert "no es un campo de combinación" in errors["body_es"][0]
    assert not Campaign.objects.exists()


def test_schedule_pause_resume_cancel_from_the_page(client, marketer, winter):
    client.force_login(marketer)
    action = lambda name: reverse("staff:campaign_action", args=["winter", name])  # noqa: E731
    assert client.post(action("schedule"), {"send_at": "", "local_time": ""}).status_code == 302
    assert Campaign.objects.get().state == "scheduled"
    paused = client.post(action("pause"), follow=True)
    assert Campaign.objects.get().state == "paused"
    assert "no more messages leave until you resume" in paused.content.decode()
    resumed = client.post(action("resume"), follow=True)
    assert Campaign.objects.get().state == "scheduled"
    assert "goes on where it left off" in resumed.content.decode()
    # Cancelling is for good: without the box ticked nothing changes, and the marketer is told.
    unconfirmed = client.post(action("cancel"), follow=True)
    assert Campaign.objects.get().state == "scheduled"
    assert "Tick the box to confirm the cancellation." in unconfirmed.content.decode()
    cancelled = client.post(action("cancel"), {"confirm": "1"}, follow=True)
    assert Campaign.objects.get().state == "cancelled"
    assert "the messages not sent yet will not be sent" in cancelled.content.decode()
    page = client.get(reverse("staff:campaign", args=["winter"]))
    # No pause button (the history below does say it was paused).
    assert action("pause") not in page.content.decode()


def test_preview_and_test_send(client, marketer, winter, alice, smtp_outbox):
    client.force_login(marketer)
    body = {"member_number": alice.member_number, "to": "me@shop.example"}
    preview = client.post(reverse("staff:campaign_action", args=["winter", "preview"]), body)
    assert preview.context["preview"].subject == "Hola Alice"
    assert smtp_outbox.mails == []
    client.post(reverse("staff:campaign_action", args=["winter", "test"]), body)
    (mail,) = smtp_outbox.mails_to("me@shop.example")
    assert mail.subject == "[Test] Hola Alice"
    unknown = client.post(
        reverse("staff:campaign_action", args=["winter", "preview"]),
        {"member_number": "0000000000000", "to": ""},
    )
    assert unknown.status_code == 400
    assert unknown.context["test_form"].errors["member_number"]


def test_the_figures_and_the_log_with_its_filter(client, marketer, winter, alice):
    client.force_login(marketer)
    client.post(reverse("staff:campaign_action", args=["winter", "schedule"]), {})
    campaigns_start_due()
    Delivery.objects.update(status="skipped", reason="no_consent")
    page = client.get(reverse("staff:campaign", args=["winter"]), {"status": "skipped"})
    assert page.context["counts"]["skipped"] == 1
    assert [row.member for row in page.context["page"]] == [alice]
    assert "no consent" in page.content.decode()
    empty = client.get(reverse("staff:campaign", args=["winter"]), {"status": "sent"})
    assert list(empty.context["page"]) == []


def test_the_list_counts_every_campaign_in_one_query(
    client, marketer, everyone, django_assert_max_num_queries
):
    for code in ("one", "two", "three"):
        campaign_create(
            code=code, name=code, segment="everyone", content={"en": {"subject": "S", "body": "B"}}
        )
    client.force_login(marketer)
    client.get(reverse("staff:campaigns"))  # warm the session and permission caches
    with django_assert_max_num_queries(7):  # one per campaign more would be 9
        page = client.get(reverse("staff:campaigns"))
    assert [counts["sent"] for _campaign, counts in page.context["rows"]] == [0, 0, 0]
