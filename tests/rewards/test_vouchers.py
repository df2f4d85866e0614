"""At the till (consume), and the vouchers' time (expiry job, reminder mail through the delivery
log)."""

import datetime

import pytest
from django_celery_beat.models import PeriodicTask

from campaigns.models import Delivery
from campaigns.services.reminders import voucher_reminders_queue
from campaigns.services.sending import deliveries_send
from rewards import tasks
from rewards.errors import VoucherNotFound, VoucherNotUsable
from rewards.models import Voucher, VoucherStatus
from rewards.services import redemption_cancel, voucher_consume
from rewards.services import vouchers_expire as vouchers_expire_service
from tests.factories.ledger import MemberFactory
from tests.factories.rewards import redemption_create
from tests.rewards.conftest import state


def test_a_voucher_is_consumed_once_with_its_order(member, reward, now):
    voucher = redemption_create(member, reward).voucher

    consumed = voucher_consume(code=voucher.code.lower().replace("-", " "), order_ref="till-7")

    assert (consumed.status, consumed.order_ref, consumed.consumed_at) == (
        VoucherStatus.CONSUMED,
        "till-7",
        now,
    )
    before = state(member)
    with pytest.raises(VoucherNotUsable) as refused:
        voucher_consume(code=voucher.code, order_ref="till-8")
    assert refused.value.reason == "consumed"
    assert state(member) == before
    assert Voucher.objects.get(pk=voucher.pk).order_ref == "till-7"


def test_an_expired_voucher_is_refused_even_before_the_job_marks_it(
    member, reward, time_machine, now
):
    voucher = redemption_create(member, reward).voucher
    time_machine.move_to(voucher.expires_at, tick=False)
    before = state(member)

    with pytest.raises(VoucherNotUsable) as refused:
        voucher_consume(code=voucher.code, order_ref="late")

    assert refused.value.reason == "expired"
    assert "expired" in refused.value.message("en")
    assert state(member) == before


def test_a_cancelled_voucher_is_refused(member, reward):
    redemption = redemption_create(member, reward)
    redemption_cancel(redemption=redemption)

    with pytest.raises(VoucherNotUsable) as refused:
        voucher_consume(code=redemption.voucher.code, order_ref="x")

    assert refused.value.reason == "cancelled"


def test_an_unknown_code_is_not_found(db):
    with pytest.raises(VoucherNotFound):
        voucher_consume(code="ABCD-EFGH-JKMN-PQ", order_ref="x")
    with pytest.raises(VoucherNotFound):
        voucher_consume(code="not a code", order_ref="x")


def test_the_expiry_job_marks_past_vouchers_expired_and_is_idempotent(
    member, reward, time_machine, now
):
    old = redemption_create(member, reward).voucher
    time_machine.move_to(now + datetime.timedelta(days=60), tick=False)
    recent = redemption_create(member, reward).voucher
    time_machine.move_to(now + datetime.timedelta(days=91), tick=False)

    assert tasks.vouchers_expire() == 1
    assert tasks.vouchers_expire() == 0

    assert Voucher.objects.get(pk=old.pk).status == VoucherStatus.EXPIRED
    assert Voucher.objects.get(pk=recent.pk).status == VoucherStatus.ISSUED
    assert vouchers_expire_service() == 0


def test_the_expiry_job_leaves_consumed_and_cancelled_vouchers_alone(
    member, reward, time_machine, now
):
    consumed = redemption_create(member, reward).voucher
    voucher_consume(code=consumed.code, order_ref="o")
    cancelled = redemption_create(member, reward)
    redemption_cancel(redemption=cancelled)
    time_machine.move_to(now + datetime.timedelta(days=200), tick=False)

    assert tasks.vouchers_expire() == 0
    assert Voucher.objects.get(pk=consumed.pk).status == VoucherStatus.CONSUMED


def reminders_send() -> int:
    """The scan queues what is due, the sender sends it: the mails sent."""
    voucher_reminders_queue()
    return deliveries_send().sent


def test_the_member_is_reminded_once_in_their_language_before_expiry(
    program, reward, time_machine, now, smtp_outbox
):
    member = MemberFactory(email="lea@example.com", first_name="Léa", language="fr")
    voucher = redemption_create(member, reward).voucher
    time_machine.move_to(now + datetime.timedelta(days=80), tick=False)
    assert reminders_send() == 0  # ten days before: not yet

    time_machine.move_to(voucher.expires_at - datetime.timedelta(days=2), tick=False)
    assert reminders_send() == 1
    assert reminders_send() == 0  # claimed: never twice
    assert voucher_reminders_queue() == 0

    mails = smtp_outbox.mails_to("lea@example.com")
    assert len(mails) == 1
    assert "5 EUR de crédit" in mails[0].subject
    assert "expire" in mails[0].subject
    assert voucher.code in mails[0].text
    assert "Léa" in mails[0].text
    assert Voucher.objects.get(pk=voucher.pk).reminded_at is not None
    (delivery,) = Delivery.objects.all()
    assert (delivery.automation, delivery.occasion, delivery.status, delivery.language) == (
        "voucher_expiring",
        str(voucher.pk),
        "sent",
        "fr",
    )


def test_the_reminder_comes_a_week_before_expiry(program, reward, time_machine, now, smtp_outbox):
    voucher = redemption_create(MemberFactory(), reward).voucher

    time_machine.move_to(voucher.expires_at - datetime.timedelta(days=7, minutes=1), tick=False)
    assert voucher_reminders_queue() == 0
    time_machine.move_to(voucher.expires_at - datetime.timedelta(days=7), tick=False)
    assert voucher_reminders_queue() == 1


def test_no_reminder_for_a_used_voucher(member, reward, time_machine, smtp_outbox):
    voucher = redemption_create(member, reward).voucher
    voucher_consume(code=voucher.code, order_ref="o")
    time_machine.move_to(voucher.expires_at - datetime.timedelta(days=1), tick=False)

    assert reminders_send() == 0
    assert smtp_outbox.mails == []
    assert not Delivery.objects.exists()


def test_a_voucher_used_after_its_reminder_was_queued_is_not_reminded(
    member, reward, time_machine, smtp_outbox
):
    voucher = redemption_create(member, reward).voucher
    time_machine.move_to(voucher.expires_at - datetime.timedelta(days=1), tick=False)
    assert voucher_reminders_queue() == 1

    voucher_consume(code=voucher.code, order_ref="o")

    assert deliveries_send().sent == 0
    assert smtp_outbox.mails == []
    assert Delivery.objects.values_list("status", "reason").get() == ("skipped", "outdated")


def test_the_jobs_are_installed_for_beat(db):
    installed = dict(PeriodicTask.objects.values_list("name", "task"))

    for name, (task, _schedule) in tasks.PERIODIC_TASKS.items():
        assert installed[name] == task


def test_the_reminder_dates_the_expiry_on_the_program_clock(
    program, reward, time_machine, now, smtp_outbox
):
    member = MemberFactory(email="ana@example.com", language="es")
    voucher = redemption_create(member, reward).voucher
    # 23:30 UTC on 1 March is half past midnight on 2 March in Madrid (CET).
    late = datetime.datetime(2027, 3, 1, 23, 30, tzinfo=datetime.UTC)
    Voucher.objects.filter(pk=voucher.pk).update(expires_at=late)
    time_machine.move_to(late - datetime.timedelta(days=2), tick=False)

    assert reminders_send() == 1

    (mail,) = smtp_outbox.mails_to("ana@example.com")
    assert "2 de marzo de 2027" in mail.text
