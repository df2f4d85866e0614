"""The tier-upgrade notice crosses the real path: service → on commit → Redis → worker (the
events' dispatcher queues it on the delivery log, the sender sends it) → SMTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from campaigns.models import Delivery
from campaigns.services.automations import automation_update
from campaigns.tasks import deliveries_send
from config.health.models import Heartbeat
from config.health.tasks import beat_tick
from loyalty.models import TierChange
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from loyalty.services.purchases import purchase_record
from tests.factories.loyalty import example_program_text
from tests.fixtures_worker import wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_upgrade_notice_is_mailed_once_by_the_worker_in_the_members_language(
    celery_worker, worker_smtp_sink
):
    worker_smtp_sink.mails.clear()
    program_import(text=example_program_text(), note="example")
    automation_update(code="welcome", enabled=False)  # the tier notice alone reaches the sink
    luis = member_join(email="luis@example.com", first_name="Luis", language="es")
    earlier = datetime.now(UTC) - timedelta(hours=1)

    # 600.00 crosses Silver's 500 threshold: one upgrade, one notice.
    purchase_record(
        member=luis, external_id="big-1", amount=Decimal("600.00"), currency="EUR",
        purchased_at=earlier, channel="store",
    )  # fmt: skip
    # A second purchase changes no tier, so it sends nothing.
    purchase_record(
        member=luis, external_id="big-2", amount=Decimal("10.00"), currency="EUR",
        purchased_at=earlier, channel="store",
    )  # fmt: skip

    mail = worker_smtp_sink.wait_for_mail(to="luis@example.com", timeout=30)
    assert "Plata" in mail.subject  # the tier's Spanish name
    assert "Luis" in mail.text
    change = wait_for(lambda: TierChange.objects.filter(notified_at__isnull=False).first())
    assert change.to_code == "silver"

    wait_for(lambda: Delivery.objects.filter(status="sent").exists())
    # A duplicate send task sends nothing more. The worker runs one task at a time, so once
    # the heartbeat queued after it is recorded, the duplicate has been handled.
    Heartbeat.objects.all().delete()
    deliveries_send.delay()
    beat_tick.delay()
    wait_for(lambda: Heartbeat.objects.exists())
    assert len(worker_smtp_sink.mails_to("luis@example.com")) == 1
    assert TierChange.objects.count() == 1
    assert Delivery.objects.get().language == "es"
