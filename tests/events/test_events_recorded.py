"""Every change other apps react to writes exactly its event, in its own transaction: a change
rolled back or refused leaves none."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction

from config.events.models import Event
from loyalty.imports.base import import_run
from loyalty.imports.members import MemberImporter
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import Purchase, TierChange
from loyalty.services.ledger import lots_mature, points_expire
from loyalty.services.purchases import purchase_record, refund_record
from loyalty.tasks import tiers_review
from members.models import Member, MemberStatus
from members.services import member_enrol, member_erase
from members.status import MemberBlocked
from rewards.errors import VoucherNotUsable
from rewards.services import redemption_cancel
from rewards.services.vouchers import voucher_consume
from tests.events.conftest import kinds_after, last_event_id
from tests.factories.ledger import MemberFactory, purchase_body
from tests.factories.rewards import RewardFactory, redemption_create
from tests.ledger.conftest import member as member
from tests.ledger.conftest import now as now
from tests.ledger.conftest import program as program
from tests.ledger.conftest import record

DAY = datetime.timedelta(days=1)


def only_event_after(mark: int) -> Event:
    events = list(Event.objects.filter(pk__gt=mark))
    assert len(events) == 1, [event.kind for event in events]
    return events[0]


def test_enrolling_and_erasing_a_member_write_their_events(program, now):
    mark = last_event_id()
    ana = member_enrol(email="ana@example.com", first_name="Ana", language="es")
    enrolled = only_event_after(mark)

    member_erase(member=ana)

    assert kinds_after(mark) == ["member.enrolled", "member.erased"]
    assert enrolled.payload == {
        "member_id": ana.pk,
        "member_number": ana.member_number,
        "joined_at": now.isoformat(),
        "language": "es",
        "referred_by_id": None,
        "imported": False,
    }
    assert enrolled.occurred_at == now
    assert "ana@example.com" not in json.dumps(list(Event.objects.values("payload")))


def test_a_purchase_writes_its_event_in_the_purchase_statement(member, now):
    record(member)  # the account exists: the purchase takes its short path
    mark = last_event_id()
    statements = []

    def capture(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        purchase, created = record(member, external_id="till-1", amount=Decimal("54.90"))

    event = only_event_after(mark)
    assert created
    assert (event.kind, event.occurred_at) == ("purchase.recorded", purchase.purchased_at)
    assert event.payload == {
        "member_id": member.pk,
        "external_id": "till-1",
        "amount": "54.90",
        "currency": "EUR",
        "channel": "store",
        "points": 54,
        "imported": False,
    }
    if connection.vendor == "postgresql":
        # Still the lock and one write (README, "Speed"): the event rides in the write's CTE.
        work = [sql for sql in statements if "SAVEPOINT" not in sql]
        assert len(work) == 2, work
        assert "FOR UPDATE" in work[0]
        assert 'INSERT INTO "events_event"' in work[1]
        assert 'INSERT INTO "loyalty_purchase"' in work[1]


def test_a_replayed_purchase_writes_no_second_event(member, now):
    body = purchase_body(purchased_at=now, external_id="till-2")
    purchase_record(member=member, **body)
    mark = last_event_id()

    _, created = purchase_record(member=member, **body)

    assert created is False
    assert kinds_after(mark) == []
    assert Event.objects.filter(kind="purchase.recorded").count() == 1


def test_a_refused_purchase_writes_no_event(member, now, staff_user):
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.BLOCKED, blocked_reason="fraud", blocked_at=now, blocked_by=staff_user
    )
    mark = last_event_id()
    with pytest.raises(MemberBlocked):
        record(member)
    assert kinds_after(mark) == []


def test_a_rolled_back_change_leaves_no_event(member, now):
    mark = last_event_id()

    def request_failing_after_the_write():
        with transaction.atomic():
            record(member, amount=Decimal("600.00"))  # a purchase and an upgrade
            assert kinds_after(mark) == ["purchase.recorded", "tier.changed"]
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        request_failing_after_the_write()
    assert kinds_after(mark) == []
    assert not Purchase.objects.exists()


def test_a_refund_writes_its_event_and_the_tier_it_takes_back_its_own(member, now):
    purchase, _ = record(member, external_id="till-3", amount=Decimal("600.00"))
    mark = last_event_id()

    refund = refund_record(purchase=purchase, external_id="r-1", amount=Decimal("600.00"))
    refund_record(purchase=purchase, external_id="r-1", amount=Decimal("600.00"))  # replayed

    assert kinds_after(mark) == ["tier.changed", "purchase.refunded"]
    withdrawn, refunded = Event.objects.filter(pk__gt=mark).order_by("pk")
    assert withdrawn.payload["reason"] == "refund"
    assert (withdrawn.payload["from"], withdrawn.payload["to"]) == ("silver", "bronze")
    assert refunded.payload == {
        "member_id": member.pk,
        "purchase_id": purchase.pk,
        "external_id": "till-3",
        "refund_id": refund.pk,
        "refund_external_id": "r-1",
        "amount": "600.00",
        "points_taken": 650,
        "points_left": 0,
    }


def test_an_upgrade_and_a_review_write_tier_changed(member, now, time_machine):
    record(member, amount=Decimal("600.00"))
    upgrade = Event.objects.get(kind="tier.changed")
    change = TierChange.objects.get(member=member)
    assert upgrade.payload == {
        "member_id": member.pk,
        "tier_change_id": change.pk,
        "from": "bronze",
        "to": "silver",
        "reason": "upgrade",
        "imported": False,
    }
    assert upgrade.occurred_at == change.at
    time_machine.move_to(now + 365 * DAY, tick=False)
    mark = last_event_id()

    assert tiers_review() == 1  # the purchase left the window: down at the review date
    assert tiers_review() == 0

    assert kinds_after(mark) == ["tier.changed"]
    assert Event.objects.get(pk__gt=mark).payload["reason"] == "review"


def test_maturing_and_expiring_points_write_their_events(member, now, time_machine):
    purchase, _ = record(member, amount=Decimal("20.00"))
    mark = last_event_id()
    time_machine.move_to(now + 15 * DAY, tick=False)
    assert lots_mature(member=member) == 20
    assert lots_mature(member=member) == 0
    time_machine.move_to(now + 400 * DAY, tick=False)
    entry = points_expire(member=member)
    assert points_expire(member=member) is None

    matured, expired = Event.objects.filter(pk__gt=mark).order_by("pk")
    assert (matured.kind, expired.kind) == ("points.matured", "points.expired")
    assert matured.payload == {
        "member_id": member.pk,
        "points": 20,
        "purchase_ids": [purchase.pk],
    }
    assert expired.payload == {"member_id": member.pk, "entry_id": entry.pk, "points": 20}
    assert expired.occurred_at == entry.occurred_at


def test_vouchers_issued_consumed_and_cancelled_write_their_events(member, now):
    reward = RewardFactory(points_cost=100)
    used = redemption_create(member, reward)
    kept = redemption_create(member, reward)
    mark = last_event_id()

    voucher_consume(code=used.voucher.code, order_ref="order-9")
    redemption_cancel(redemption=kept)
    with pytest.raises(VoucherNotUsable):
        voucher_consume(code=used.voucher.code, order_ref="order-10")

    issued = Event.objects.filter(kind="voucher.issued").order_by("pk")
    assert [e.payload["voucher_id"] for e in issued] == [used.voucher.pk, kept.voucher.pk]
    assert issued[0].payload["redemption_id"] == str(used.public_id)
    assert issued[0].payload["points_spent"] == 100
    assert kinds_after(mark) == ["voucher.consumed", "voucher.cancelled"]
    consumed, cancelled = Event.objects.filter(pk__gt=mark).order_by("pk")
    assert consumed.payload["order_ref"] == "order-9"
    assert consumed.payload["code"] == used.voucher.code
    assert cancelled.payload["voucher_id"] == kept.voucher.pk
    assert cancelled.payload["points_returned"] == 100


def test_the_bulk_imports_write_one_event_per_batch_of_history(program, now, tmp_path):
    """History is not news: an import writes `history.imported` for each batch it writes, and
    no event per row (nobody is welcomed, told of a tier or credited a referral for history)."""
    members_csv = tmp_path / "members.csv"
    members_csv.write_text(
        "email,first_name,joined_at\nana@example.com,Ana,2026-01-10T10:00:00+00:00\n"
        "bob@example.com,Bob,2026-02-10T10:00:00+00:00\n"
    )
    purchases_csv = tmp_path / "purchases.csv"
    purchases_csv.write_text(
        "external_id,member_email,purchased_at,amount,currency,channel\n"
        "h-1,ana@example.com,2026-03-01T10:00:00+00:00,300.00,EUR,store\n"
        "h-2,ana@example.com,2026-04-01T10:00:00+00:00,300.00,EUR,store\n"
        "h-3,bob@example.com,2026-04-02T10:00:00+00:00,20.00,EUR,online\n"
    )
    mark = last_event_id()

    assert not import_run(importer=MemberImporter(), path=members_csv).problems
    assert not import_run(importer=PurchaseImporter(), path=purchases_csv).problems

    members, purchases = Event.objects.filter(pk__gt=mark).order_by("pk")
    assert (members.kind, purchases.kind) == ("history.imported", "history.imported")
    assert members.payload == {
        "what": "members",
        "rows": 2,
        "first_at": "2026-01-10T10:00:00+00:00",
        "last_at": "2026-02-10T10:00:00+00:00",
    }
    assert (purchases.payload["what"], purchases.payload["rows"]) == ("purchases", 3)
    # The analytics' purchase facts are kept per member (analytics.facts).
    assert purchases.payload["member_ids"] == sorted(
        Member.objects.filter(user__email__in=["ana@example.com", "bob@example.com"]).values_list(
            "pk", flat=True
        )
    )
    assert purchases.occurred_at == datetime.datetime(2026, 4, 2, 10, tzinfo=datetime.UTC)
    assert TierChange.objects.get().to_code == "silver"  # the history is written all the same

    # A re-run imports nothing, so it records nothing.
    mark = last_event_id()
    import_run(importer=PurchaseImporter(), path=purchases_csv)
    assert kinds_after(mark) == []


@pytest.mark.parametrize("vendor", ["postgresql", "other"])
def test_the_purchase_event_is_written_on_every_database(member, now, vendor, monkeypatch):
    if vendor == "other":
        monkeypatch.setattr(connection, "vendor", "sqlite")
    record(member, external_id=f"till-{vendor}")
    assert Event.objects.get(kind="purchase.recorded").payload["external_id"] == f"till-{vendor}"


def test_member_factory_members_have_their_enrolment_event(program, now):
    ana = MemberFactory()
    assert Event.objects.get(kind="member.enrolled").payload["member_id"] == ana.pk
