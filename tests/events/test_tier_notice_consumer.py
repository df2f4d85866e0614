"""The tier notice is the first consumer of tier.changed: it queues one notice per upgrade on the
delivery log, whatever the dispatcher repeats; none for a review, a refund's withdrawal,
imported history, or a tier reached again after a refund took it back."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from campaigns.models import Delivery
from campaigns.services.sending import deliveries_send
from config.events.dispatch import consumer_dispatch
from config.events.registry import consumers
from loyalty.imports.base import import_run
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import TierChange
from loyalty.services.purchases import refund_record
from tests.factories.ledger import MemberFactory
from tests.ledger.conftest import member as member
from tests.ledger.conftest import now as now
from tests.ledger.conftest import program as program
from tests.ledger.conftest import record


@pytest.fixture
def tier_notice():
    """The consumer as declared (the worker test, tests/ledger/test_tier_notice_worker.py,
    crosses Redis)."""
    (found,) = (found for found in consumers() if found.name == "tier_notice")
    return SimpleNamespace(consumer=found)


def test_an_upgrade_is_told_once_however_often_dispatched(member, now, tier_notice, mailoutbox):
    record(member, amount=Decimal("600.00"))

    assert consumer_dispatch(tier_notice.consumer) == (1, False)
    assert consumer_dispatch(tier_notice.consumer) == (0, False)
    deliveries_send()
    deliveries_send()

    assert len(mailoutbox) == 1
    assert "Silver" in mailoutbox[0].subject
    change = TierChange.objects.get()
    assert change.notified_at == now
    (delivery,) = Delivery.objects.all()
    assert (delivery.automation, delivery.occasion, delivery.status) == (
        "tier_change",
        str(change.pk),
        "sent",
    )


def test_a_withdrawal_and_a_tier_reached_again_send_nothing_more(
    member, now, tier_notice, mailoutbox
):
    purchase, _ = record(member, amount=Decimal("600.00"))
    consumer_dispatch(tier_notice.consumer)
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))
    record(member, amount=Decimal("600.00"))  # the exchange: the same spend again

    # The upgrade, the withdrawal and the upgrade reached again.
    assert consumer_dispatch(tier_notice.consumer) == (2, False)
    deliveries_send()

    assert len(mailoutbox) == 1
    assert Delivery.objects.count() == 1  # only the first upgrade was queued


def test_imported_upgrades_tell_nobody(program, now, tier_notice, mailoutbox, tmp_path):
    MemberFactory(email="ana@example.com")
    path = tmp_path / "purchases.csv"
    path.write_text(
        "external_id,member_email,purchased_at,amount,currency,channel\n"
        "h-1,ana@example.com,2026-03-01T10:00:00+00:00,600.00,EUR,store\n"
    )
    assert not import_run(importer=PurchaseImporter(), path=path).problems

    consumer_dispatch(tier_notice.consumer)
    deliveries_send()

    assert TierChange.objects.get().to_code == "silver"
    assert not Delivery.objects.exists()
    assert mailoutbox == []
