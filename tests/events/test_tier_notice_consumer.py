"""The tier notice is the first consumer of tier.changed: one notice per upgrade, whatever
the dispatcher repeats; none for a review, a refund's withdrawal, imported history, or a tier
reached again after a refund took it back."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from config.events.dispatch import consumer_dispatch
from config.events.registry import consumers
from loyalty import consumers as loyalty_consumers
from loyalty.imports.base import import_run
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import TierChange
from loyalty.services import tiers
from loyalty.services.purchases import refund_record
from tests.factories.ledger import MemberFactory
from tests.ledger.conftest import member as member
from tests.ledger.conftest import now as now
from tests.ledger.conftest import program as program
from tests.ledger.conftest import record


@pytest.fixture
def tier_notice(monkeypatch):
    """The consumer as declared, with its task run at once in this process (the worker test,
    tests/ledger/test_tier_notice_worker.py, crosses Redis)."""
    queued = []

    def run_now(tier_change_id):
        queued.append(tier_change_id)
        tiers.tier_notice_send(tier_change_id=tier_change_id)

    monkeypatch.setattr(loyalty_consumers, "tier_notice_send", SimpleNamespace(delay=run_now))
    (found,) = (found for found in consumers() if found.name == "tier_notice")
    return SimpleNamespace(consumer=found, queued=queued)


def test_an_upgrade_is_told_once_however_often_dispatched(member, now, tier_notice, mailoutbox):
    record(member, amount=Decimal("600.00"))

    assert consumer_dispatch(tier_notice.consumer) == (1, False)
    assert consumer_dispatch(tier_notice.consumer) == (0, False)

    assert len(mailoutbox) == 1
    assert "Silver" in mailoutbox[0].subject
    assert TierChange.objects.get().notified_at == now


def test_a_withdrawal_and_a_tier_reached_again_send_nothing_more(
    member, now, tier_notice, mailoutbox
):
    purchase, _ = record(member, amount=Decimal("600.00"))
    consumer_dispatch(tier_notice.consumer)
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("600.00"))
    record(member, amount=Decimal("600.00"))  # the exchange: the same spend again

    assert consumer_dispatch(tier_notice.consumer) == (2, False)

    assert len(mailoutbox) == 1
    assert len(tier_notice.queued) == 2  # the first upgrade and the one reached again


def test_imported_upgrades_tell_nobody(program, now, tier_notice, mailoutbox, tmp_path):
    MemberFactory(email="ana@example.com")
    path = tmp_path / "purchases.csv"
    path.write_text(
        "external_id,member_email,purchased_at,amount,currency,channel\n"
        "h-1,ana@example.com,2026-03-01T10:00:00+00:00,600.00,EUR,store\n"
    )
    assert not import_run(importer=PurchaseImporter(), path=path).problems

    consumer_dispatch(tier_notice.consumer)

    assert TierChange.objects.get().to_code == "silver"
    assert tier_notice.queued == []
    assert mailoutbox == []
