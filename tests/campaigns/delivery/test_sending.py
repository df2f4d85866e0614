"""Sending the delivery log in this process, against a real SMTP server and PostgreSQL: once per
row, consent and the member's state checked again at sending, transient errors retried with a
back-off as due times, permanent ones failed at once, a handover whose worker died left
`unknown` until the marketer sends it again. (Real worker processes: test_workers.py.)"""

import datetime
import smtplib

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from campaigns.channels import PermanentSendError, TransientSendError
from campaigns.channels.email import _sorted
from campaigns.composers import CAMPAIGN, Composer, composer_register, composer_unregister
from campaigns.models import Campaign, Delivery, DeliveryPurpose
from campaigns.services import sending
from campaigns.services.deliveries import deliveries_queue, deliveries_send_again, delivery_new
from campaigns.services.sending import deliveries_claim, deliveries_send, retry_after
from members.models import MemberStatus
from members.services import member_consents_set, member_erase
from tests.campaigns.delivery.conftest import compose_news, queue
from tests.concurrency import run_together
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db


def row(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


def test_a_queued_message_is_sent_once_and_its_row_says_so(member, campaign, smtp, now):
    delivery = queue(member, campaign=campaign)

    assert deliveries_send().sent == 1
    assert deliveries_send().sent == 0

    (mail,) = smtp.mails_to("ana@example.com")
    assert mail.subject == "News for Ana"
    sent = row(delivery)
    assert (sent.status, sent.sent_at, sent.handed_at, sent.attempts) == ("sent", now, now, 1)
    assert sent.message_id == mail.message["Message-ID"]
    assert sent.language == "es"
    assert sent.claimed_until is None


def test_queueing_the_same_message_again_writes_nothing(member, campaign):
    queue(member, campaign=campaign)
    queue(member, campaign=campaign)

    assert Delivery.objects.count() == 1


def test_the_database_keeps_one_row_per_source_member_and_occasion(member, campaign):
    Delivery.objects.create(
        automation="tier_change", member=member, occasion="7", purpose="notice", channel="email"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            automation="tier_change", member=member, occasion="7", purpose="notice", channel="sms"
        )
    Delivery.objects.create(campaign=campaign, member=member, purpose="marketing", channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            campaign=campaign, member=member, purpose="marketing", channel="email"
        )
    assert Delivery.objects.count() == 2


def test_a_row_has_exactly_one_source(member, campaign):
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(member=member, purpose="notice", channel="email")
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            campaign=campaign, automation="tier_change", member=member, purpose="notice"
        )
    with pytest.raises(ValueError, match="one source"):
        delivery_new(member_id=member.pk, channel="email")
    assert not Delivery.objects.exists()


def test_consent_withdrawn_after_queueing_skips_the_message(member, campaign, smtp):
    delivery = queue(member, campaign=campaign)
    member_consents_set(member=member, marketing_email=False, marketing_sms=False)

    assert deliveries_send().skipped == 1

    assert smtp.mails == []
    assert (row(delivery).status, row(delivery).reason) == ("skipped", "no_consent")


def test_a_blocked_member_is_skipped(member, campaign, smtp, now):
    delivery = queue(member, campaign=campaign)
    staff = get_user_model().objects.create_user(email="boss@example.com", password="x")
    type(member).objects.filter(pk=member.pk).update(
        status=MemberStatus.BLOCKED, blocked_reason="fraud", blocked_at=now, blocked_by=staff
    )

    deliveries_send()

    assert smtp.mails == []
    assert (row(delivery).status, row(delivery).reason) == ("skipped", "member_inactive")


def test_an_erased_member_gets_not_even_a_program_notice(member, smtp, settings):
    notice = Composer(source="test_notice", purpose=DeliveryPurpose.NOTICE, compose=compose_news)
    composer_register(notice)
    try:
        delivery = queue(member, automation="test_notice", occasion="1")
        member_erase(member=member)

        deliveries_send()
    finally:
        composer_unregister("test_notice")

    assert smtp.mails == []
    assert (row(delivery).status, row(delivery).reason) == ("skipped", "member_inactive")


def test_an_sms_to_a_member_without_a_phone_is_skipped(member, campaign, text_outbox):
    member_consents_set(member=member, marketing_email=True, marketing_sms=True)
    delivery = queue(member, campaign=campaign, channel="sms")

    deliveries_send()

    assert text_outbox["sms"] == []
    assert (row(delivery).status, row(delivery).reason) == ("skipped", "no_address")


def test_sms_and_push_go_through_the_backends_named_in_settings(program, text_outbox):
    member = MemberFactory(first_name="Luc", language="fr", phone="+33612345678")
    member_consents_set(member=member, marketing_email=False, marketing_sms=True)
    notice = Composer(source="test_notice", purpose=DeliveryPurpose.NOTICE, compose=compose_news)
    composer_register(notice)
    campaign = Campaign.objects.create(code="sms", name="SMS", channel="sms", state="sending")
    composer_register(
        Composer(source="campaign", purpose=DeliveryPurpose.MARKETING, compose=compose_news)
    )
    try:
        queue(member, campaign=campaign, channel="sms")
        queue(member, automation="test_notice", occasion="1", channel="push")

        assert deliveries_send().sent == 2
    finally:
        composer_unregister("test_notice")
        composer_unregister("campaign")

    (sms,) = text_outbox["sms"]
    assert (sms.to, sms.text) == ("+33612345678", "Hello Luc")
    (push,) = text_outbox["push"]
    assert push.to == member.member_number
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert all(Delivery.objects.values_list("message_id", flat=True))


def test_a_transient_smtp_error_is_retried_later_then_sent(member, campaign, smtp, time_machine):
    smtp.refusals["ana@example.com"] = ["451 4.3.0 Mailbox busy, try later"]
    delivery = queue(member, campaign=campaign)

    assert deliveries_send().retried == 1
    waiting = row(delivery)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert "451" in waiting.error
    assert waiting.due_at == timezone.now() + retry_after(1)
    assert deliveries_send().handled == 0  # not due yet: no Celery countdown, a due time

    time_machine.move_to(waiting.due_at, tick=False)
    assert deliveries_send().sent == 1

    assert len(smtp.mails_to("ana@example.com")) == 1
    sent = row(delivery)
    assert (sent.status, sent.attempts, sent.error) == ("sent", 2, "")


def test_a_permanent_smtp_error_fails_at_once(member, campaign, smtp, time_machine):
    smtp.refusals["ana@example.com"] = ["550 5.1.1 No such user"]
    delivery = queue(member, campaign=campaign)

    assert deliveries_send().failed == 1
    time_machine.shift(datetime.timedelta(days=1))
    assert deliveries_send().handled == 0

    failed = row(delivery)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in failed.error
    assert smtp.mails == []


def test_transient_errors_fail_the_message_after_the_cap(member, campaign, smtp, time_machine):
    smtp.refusals["ana@example.com"] = ["421 4.7.0 Try again later"] * sending.MAX_ATTEMPTS
    delivery = queue(member, campaign=campaign)

    for attempt in range(1, sending.MAX_ATTEMPTS + 1):
        deliveries_send()
        time_machine.shift(retry_after(attempt))

    failed = row(delivery)
    assert (failed.status, failed.attempts) == ("failed", sending.MAX_ATTEMPTS)
    assert smtp.mails == []
    assert deliveries_send().handled == 0


def test_a_mail_server_that_does_not_answer_is_a_transient_error(member, campaign, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    delivery = queue(member, campaign=campaign)

    assert deliveries_send().retried == 1

    assert (row(delivery).status, row(delivery).attempts) == ("queued", 1)
    assert "refused" in row(delivery).error.lower()


def test_one_smtp_connection_serves_a_batch(program, campaign, smtp):
    for number in range(5):
        queue(MemberFactory(marketing_email_opt_in=True, email=f"m{number}@example.com"),
              campaign=campaign)  # fmt: skip

    assert deliveries_send().sent == 5

    assert len(smtp.mails) == 5
    assert smtp.sessions == 1


def test_a_handover_whose_worker_died_is_unknown_and_never_resent_on_its_own(
    member, campaign, smtp, time_machine, monkeypatch
):
    delivery = queue(member, campaign=campaign)

    class WorkerKilled(BaseException):
        """What `kill -9` looks like from here: nothing after the handover runs."""

    def die(channel, message):
        raise WorkerKilled

    monkeypatch.setattr("campaigns.channels.email.EmailChannel.send", die)
    with pytest.raises(WorkerKilled):
        deliveries_send()
    monkeypatch.undo()
    assert row(delivery).status == "handing"

    assert deliveries_send().handled == 0  # its lease still runs
    time_machine.shift(sending.lease() + datetime.timedelta(seconds=1))
    assert deliveries_send().unknown == 1
    time_machine.shift(datetime.timedelta(hours=1))
    deliveries_send()

    assert row(delivery).status == "unknown"
    assert smtp.mails == []

    # The marketer's "send these again".
    assert deliveries_send_again(delivery_ids=[delivery.pk]) == 1
    assert deliveries_send().sent == 1
    assert deliveries_send_again(delivery_ids=[delivery.pk]) == 0  # sent: left alone
    assert len(smtp.mails_to("ana@example.com")) == 1
    assert row(delivery).status == "sent"


def test_rows_claimed_by_a_worker_that_died_are_claimed_again_once_its_lease_ran_out(
    member, campaign, smtp, time_machine
):
    delivery = queue(member, campaign=campaign)
    assert deliveries_claim(token="dead-worker", limit=10) == [delivery.pk]

    assert deliveries_send().handled == 0
    time_machine.shift(sending.lease() + datetime.timedelta(seconds=1))
    assert deliveries_send().sent == 1

    assert len(smtp.mails) == 1


def test_a_paused_campaign_sends_nothing_until_resumed(member, campaign, smtp):
    delivery = queue(member, campaign=campaign)
    Campaign.objects.filter(pk=campaign.pk).update(state="paused")

    assert deliveries_send().handled == 0
    assert row(delivery).status == "queued"

    Campaign.objects.filter(pk=campaign.pk).update(state="sending")
    assert deliveries_send().sent == 1


def test_held_out_members_get_nothing(member, campaign, smtp):
    delivery = queue(member, campaign=campaign, status="holdout")

    assert deliveries_send().handled == 0

    assert row(delivery).status == "holdout"
    assert smtp.mails == []


def test_a_message_that_cannot_be_composed_fails_with_the_error(member, smtp):
    def broken(delivery, member):
        raise KeyError("first_name")

    composer_register(Composer(source="broken", purpose=DeliveryPurpose.NOTICE, compose=broken))
    try:
        delivery = queue(member, automation="broken", occasion="1")
        assert deliveries_send().failed == 1
    finally:
        composer_unregister("broken")

    assert row(delivery).status == "failed"
    assert "first_name" in row(delivery).error
    assert smtp.mails == []


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_message_once(program, smtp):
    composer_register(
        Composer(source="campaign", purpose=DeliveryPurpose.MARKETING, compose=compose_news)
    )
    try:
        campaign = Campaign.objects.create(code="both", name="Both", state="sending")
        members = [
            MemberFactory(email=f"both{number}@example.com", marketing_email_opt_in=True)
            for number in range(40)
        ]
        deliveries_queue(
            delivery_new(member_id=member.pk, campaign=campaign, channel="email")
            for member in members
        )

        reports = run_together(2, lambda _index: deliveries_send(batch_size=5))
    finally:
        composer_unregister("campaign")

    assert not [report for report in reports if isinstance(report, Exception)]
    assert sum(report.sent for report in reports) == 40
    assert sorted(mail.recipients[0] for mail in smtp.mails) == sorted(
        member.email for member in members
    )
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (smtplib.SMTPRecipientsRefused({"a@x": (450, b"busy")}), TransientSendError),
        (smtplib.SMTPRecipientsRefused({"a@x": (550, b"unknown")}), PermanentSendError),
        (smtplib.SMTPDataError(452, b"full"), TransientSendError),
        (smtplib.SMTPDataError(554, b"spam"), PermanentSendError),
        (smtplib.SMTPServerDisconnected("gone"), TransientSendError),
        (ConnectionRefusedError(111, "refused"), TransientSendError),
        (TimeoutError("timed out"), TransientSendError),
        (ValueError("bad header"), PermanentSendError),
    ],
)
def test_mail_errors_are_sorted_into_transient_and_permanent(error, expected):
    assert type(_sorted(error)) is expected


def _raise_in_python(delivery, member):
    raise RuntimeError("the reward is gone")


def _raise_in_the_database(delivery, member):
    # What a constraint or a lock timeout does: the statement fails in PostgreSQL, inside the
    # sender's pipelined transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 / 0")
        cursor.fetchone()


@pytest.mark.parametrize("issue", [_raise_in_python, _raise_in_the_database])
def test_an_offer_that_cannot_be_given_never_undoes_the_record_of_the_mail(
    program, smtp, now, issue
):
    # The mail went out: it stays `sent`, with the failure on the row, and the batch goes on.
    composer_register(
        Composer(
            source=CAMPAIGN,
            purpose=DeliveryPurpose.MARKETING,
            compose=compose_news,
            issue=issue,
        )
    )
    try:
        campaign = Campaign.objects.create(code="gift", name="Gift", state="sending")
        members = [
            MemberFactory(
                email=f"g{n}@example.com", first_name=f"G{n}", marketing_email_opt_in=True
            )
            for n in range(3)
        ]
        for member in members:
            queue(member, campaign=campaign)

        report = deliveries_send()
    finally:
        composer_unregister(CAMPAIGN)

    assert report.sent == 3
    for delivery in Delivery.objects.filter(campaign=campaign):
        assert delivery.status == "sent"
        assert delivery.error.startswith("offer not given: ")
    assert len(smtp.mails) == 3
