"""The purchase facts follow the purchases through the event consumer, and the figures are
exact before it has run: a member whose change is not settled yet is counted from purchases."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from analytics.facts import facts_rebuild, facts_zone, pending_member_ids
from analytics.figures import Period, period_summary
from analytics.models import PurchaseFact
from analytics.tasks import purchase_facts_check
from config.events.dispatch import events_dispatch
from config.events.models import Event
from loyalty.events import history_imported
from loyalty.services.program import program_import
from loyalty.services.purchases import purchase_record, refund_record
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))


def buy(member, ref, day, amount, channel="store"):
    purchase, _created = purchase_record(
        member=member,
        external_id=ref,
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=datetime.datetime(2026, 11, day, 12, tzinfo=MADRID),
        channel=channel,
    )
    return purchase


@pytest.fixture
def shop():
    program_import(text=ledger_program_text(signup_bonus=False), note="facts")
    return MemberFactory(), MemberFactory()


def test_the_check_builds_the_facts_for_the_programs_zone(shop):
    ana, _bea = shop
    buy(ana, "a-1", 3, "20.00")
    assert facts_zone() == ""

    purchase_facts_check()

    assert facts_zone() == "Europe/Madrid"
    assert PurchaseFact.objects.get().day == datetime.date(2026, 11, 3)


def test_a_purchase_counts_at_once_and_reaches_the_facts_when_its_event_is_settled(shop):
    ana, bea = shop
    facts_rebuild(MADRID)
    buy(ana, "a-1", 3, "20.00")
    buy(bea, "b-1", 4, "10.00", channel="online")

    assert pending_member_ids() == {ana.pk, bea.pk}
    before = period_summary(NOVEMBER)

    events_dispatch()

    assert pending_member_ids() == set()
    assert PurchaseFact.objects.count() == 2
    after = period_summary(NOVEMBER)
    for name in ("purchases", "revenue", "active_members", "historic_value", "channel_mix"):
        assert before[name] == after[name], name
    assert (after["purchases"], after["revenue"], after["active_members"]) == (
        2,
        Decimal("30.00"),
        2,
    )


def test_a_second_purchase_and_a_refund_rewrite_the_members_facts(shop):
    ana, _bea = shop
    facts_rebuild(MADRID)
    first = buy(ana, "a-1", 3, "20.00")
    buy(ana, "a-2", 9, "15.00")
    events_dispatch()
    assert period_summary(NOVEMBER)["repeat_rate"] == Decimal("1.0000")

    refund_record(purchase=first, external_id="r-1", amount=Decimal("20.00"))
    assert period_summary(NOVEMBER)["purchases"] == 1  # pending: counted from purchases
    events_dispatch()

    fact = PurchaseFact.objects.get()
    assert (fact.day, fact.previous_day, fact.first_day) == (
        datetime.date(2026, 11, 9),
        None,
        datetime.date(2026, 11, 9),
    )
    figures = period_summary(NOVEMBER)
    assert (figures["purchases"], figures["repeat_rate"]) == (1, Decimal("0.0000"))


def test_an_imported_batch_rewrites_the_facts_of_its_members(shop):
    ana, _bea = shop
    facts_rebuild(MADRID)
    buy(ana, "a-1", 3, "20.00")
    events_dispatch()
    PurchaseFact.objects.all().delete()  # as if the batch had written purchases without facts
    history_imported(what="purchases", rows=1, member_ids={ana.pk})

    assert pending_member_ids() == {ana.pk}
    events_dispatch()

    assert list(PurchaseFact.objects.values_list("member_id", flat=True)) == [ana.pk]
    assert pending_member_ids() == set()


def test_a_rebuild_settles_the_events_it_covers(shop):
    """A first build over a long history leaves the consumer no backlog: the events written
    before the oldest running transaction began are in what it read."""
    ana, bea = shop
    buy(ana, "a-1", 3, "20.00")
    buy(bea, "b-1", 4, "10.00")
    Event.objects.update(created_at=timezone.now() - datetime.timedelta(hours=1))
    assert pending_member_ids() == {ana.pk, bea.pk}

    facts_rebuild(MADRID)

    assert pending_member_ids() == set()
    assert PurchaseFact.objects.count() == 2
    buy(ana, "a-2", 5, "5.00")  # written after: still the consumer's
    assert pending_member_ids() == {ana.pk}
