"""A campaign from schedule to inbox, in this process against a real SMTP sink: each member gets
the content in their language (else the program's, else any) with their own values, every mail
carries the one-click unsubscribe headers and link, HTML escaped, links and opens tracked."""

import re

import pytest
from django.test import Client

from campaigns.models import CampaignState, Delivery
from campaigns.services.campaigns import (
    CampaignInvalid,
    campaign_create,
    campaign_preview,
    campaign_schedule,
    campaign_test_send,
    campaigns_finish,
    campaigns_start_due,
)
from campaigns.services.sending import deliveries_send
from loyalty.explanations import points_text

pytestmark = pytest.mark.django_db


def _send(campaign, now):
    campaign_schedule(campaign=campaign)
    campaigns_start_due(at=now)
    report = deliveries_send()
    campaigns_finish()
    return report


def _parts(mail):
    message = mail.message
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return message, text, html


def test_each_member_reads_it_in_their_language_with_their_values(draft, members, smtp_outbox, now):
    assert _send(draft, now).sent == 3
    draft.refresh_from_db()
    assert draft.state == CampaignState.SENT

    (ana,) = smtp_outbox.mails_to("ana@example.es")
    assert ana.subject == "Hola Ana"
    _message, text, _html = _parts(ana)
    assert f"Tiene {points_text(100)} puntos." in text
    (luc,) = smtp_outbox.mails_to("luc@example.fr")  # no French: the program's language (en)
    assert luc.subject == "Hello Luc"
    (bob,) = smtp_outbox.mails_to("bob@example.com")
    assert bob.subject == "Hello Bob"
    languages = dict(Delivery.objects.values_list("member__user__email", "language"))
    assert languages == {"ana@example.es": "es", "luc@example.fr": "en", "bob@example.com": "en"}


def test_every_mail_carries_one_click_unsubscribe_that_works(draft, members, smtp_outbox, now):
    _send(draft, now)
    (ana,) = smtp_outbox.mails_to("ana@example.es")
    message, text, html = _parts(ana)
    header = str(message["List-Unsubscribe"]).strip()
    assert re.fullmatch(r"<https?://[^>]+/u/[^>]+/>", header)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert url in text
    assert url in html
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert (
        Client()
        .post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        .status_code
        == 200
    )
    members[0].refresh_from_db()
    assert members[0].marketing_email_opt_in is False


def test_html_is_escaped_and_links_and_opens_are_tracked(everyone, members, smtp_outbox, now):
    campaign = campaign_create(
        code="links",
        name="Links",
        segment="everyone",
        content={
            "en": {"subject": "<b>x</b>", "body": "<script>1</script> https://shop.example/a"}
        },
    )
    _send(campaign, now)
    (bob,) = smtp_outbox.mails_to("bob@example.com")
    _message, _text, html = _parts(bob)
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    (click,) = re.findall(r'href="([^"]+/t/c/[^"]+)"', html)
    (pixel,) = re.findall(r'src="([^"]+/t/o/[^"]+)"', html)
    row = Delivery.objects.get(member__user__email="bob@example.com")
    assert (row.opened_at, row.clicked_at) == (None, None)

    redirect = Client().get("/" + click.split("://", 1)[1].split("/", 1)[1])
    assert (redirect.status_code, redirect["Location"]) == (302, "https://shop.example/a")
    row.refresh_from_db()
    assert row.clicked_at is not None
    assert row.opened_at is not None
    image = Client().get("/" + pixel.split("://", 1)[1].split("/", 1)[1])
    assert image["Content-Type"] == "image/gif"


def test_tracking_can_be_turned_off(everyone, members, smtp_outbox, now, settings):
    settings.TESSERA_TRACK_OPENS = False
    settings.TESSERA_TRACK_CLICKS = False
    campaign = campaign_create(
        code="plain",
        name="Plain",
        segment="everyone",
        content={"en": {"subject": "Hi", "body": "See https://shop.example/a"}},
    )
    _send(campaign, now)
    (bob,) = smtp_outbox.mails_to("bob@example.com")
    _message, _text, html = _parts(bob)
    assert "/t/o/" not in html
    assert "/t/c/" not in html
    assert 'href="https://shop.example/a"' in html


def test_members_without_consent_are_skipped_and_the_holdout_gets_nothing(
    everyone, members, smtp_outbox, now
):
    members[2].marketing_email_opt_in = False
    members[2].save(update_fields=["marketing_email_opt_in"])
    campaign = campaign_create(
        code="held",
        name="Held",
        segment="everyone",
        content={"en": {"subject": "Hi", "body": "Hello"}},
        holdout_percent=50,
    )
    _send(campaign, now)
    rows = dict(Delivery.objects.filter(campaign=campaign).values_list("member_id", "status"))
    sent = {mail.message["To"] for mail in smtp_outbox.mails}
    for member in members:
        status = rows[member.pk]
        assert status in {"sent", "holdout", "skipped"}
        assert (member.user.email in sent) == (status == "sent")
    if rows[members[2].pk] != "holdout":
        assert rows[members[2].pk] == "skipped"


def test_preview_as_any_member_writes_nothing_and_tracks_nothing(draft, members):
    ana, _luc, bob = members
    preview = campaign_preview(campaign=draft, member=ana)
    assert (preview.subject, preview.language) == ("Hola Ana", "es")
    assert "/t/o/" not in preview.html
    assert "/t/c/" not in preview.html
    assert campaign_preview(campaign=draft, member=bob).subject == "Hello Bob"
    assert not Delivery.objects.exists()


def test_a_test_send_goes_to_the_typed_address_marked_and_outside_the_log(
    draft, members, smtp_outbox
):
    campaign_test_send(campaign=draft, member=members[0], to="marketer@shop.example")
    (mail,) = smtp_outbox.mails_to("marketer@shop.example")
    assert mail.subject == "[Test] Hola Ana"
    assert mail.message["X-Tessera-Test"] == "1"
    assert not Delivery.objects.exists()
    with pytest.raises(CampaignInvalid) as refused:
        campaign_test_send(campaign=draft, member=members[0], to="not an address")
    assert set(refused.value.errors()) == {"to"}
