"""The referral and birthday flows end to end with real parts: a Celery worker process against
Redis, the events dispatched and the messages sent by it, mail delivered over SMTP to a sink."""

import datetime
import zoneinfo
from datetime import UTC, timedelta
from decimal import Decimal

import pytest

from campaigns.models import Delivery, Referral, ReferralStatus
from campaigns.services.automations import automation_update
from campaigns.tasks import birthdays_queue
from config.health.models import Heartbeat
from config.health.tasks import beat_tick
from loyalty.models import LedgerEntry
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import lots_mature
from loyalty.services.program import program_import
from loyalty.services.purchases import purchase_record
from members.models import Member
from tests.factories.loyalty import example_program_text
from tests.fixtures_worker import wait_for


def settled() -> None:
    """Wait until the worker has handled every task queued so far (it runs one at a time)."""
    Heartbeat.objects.all().delete()
    beat_tick.delay()
    wait_for(lambda: Heartbeat.objects.exists())


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_referral_is_rewarded_and_both_told_once_by_the_worker(celery_worker, worker_smtp_sink):
    worker_smtp_sink.mails.clear()
    program_import(text=example_program_text(), note="example")
    automation_update(code="welcome", enabled=False)  # the referral's mails alone
    ana = member_join(email="ana.w@example.es", first_name="Ana", language="es")
    luc = member_join(
        email="luc.w@example.fr",
        first_name="Luc",
        language="fr",
        referral_code=ana.referral_code,
        joined_at=datetime.datetime.now(UTC) - timedelta(days=20),
    )
    purchase_record(
        member=luc, external_id="w-ref-1", amount=Decimal("40.00"), currency="EUR",
        purchased_at=datetime.datetime.now(UTC) - timedelta(days=15), channel="store",
    )  # fmt: skip
    lots_mature(member=luc)  # past the 14-day return window: its event goes to the worker

    to_ana = worker_smtp_sink.wait_for_mail(to="ana.w@example.es", timeout=30)
    to_luc = worker_smtp_sink.wait_for_mail(to="luc.w@example.fr", timeout=30)
    assert "Luc" in to_ana.text
    assert "300" in to_ana.text
    assert "Ana" in to_luc.text
    assert "150" in to_luc.text
    assert Referral.objects.get().status == ReferralStatus.REWARDED

    settled()
    assert len(worker_smtp_sink.mails_to("ana.w@example.es")) == 1
    assert len(worker_smtp_sink.mails_to("luc.w@example.fr")) == 1
    assert LedgerEntry.objects.filter(bonus_key__startswith="referral:").count() == 2


def _zone_past_nine() -> str:
    """A time zone whose clock shows between 10:00 and 22:00 now, for a birthday today there."""
    now = datetime.datetime.now(UTC)
    for name in ("Europe/Madrid", "America/Mexico_City", "Asia/Tokyo", "Pacific/Honolulu"):
        if 10 <= now.astimezone(zoneinfo.ZoneInfo(name)).hour < 22:
            return name
    return "Pacific/Auckland"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_birthday_scan_run_twice_by_the_worker_gives_and_tells_once(
    celery_worker, worker_smtp_sink
):
    worker_smtp_sink.mails.clear()
    program_import(text=example_program_text(), note="example")
    automation_update(code="welcome", enabled=False)
    zone = _zone_past_nine()
    today = datetime.datetime.now(zoneinfo.ZoneInfo(zone)).date()
    eva = member_join(email="eva.w@example.es", first_name="Eva", language="es")
    Member.objects.filter(pk=eva.pk).update(
        birth_month=today.month, birth_day=today.day, time_zone=zone, birthday_changed_at=None
    )

    birthdays_queue.delay()
    birthdays_queue.delay()  # a duplicate run
    mail = worker_smtp_sink.wait_for_mail(to="eva.w@example.es", timeout=30)
    assert "Eva" in mail.subject
    assert "200" in mail.text

    settled()
    assert len(worker_smtp_sink.mails_to("eva.w@example.es")) == 1
    assert LedgerEntry.objects.filter(member=eva, bonus_key__startswith="birthday:").count() == 1
    assert Delivery.objects.get(member=eva).occasion == str(today.year)
