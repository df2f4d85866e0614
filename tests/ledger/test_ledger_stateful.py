"""Random sequences of enrol / purchase / refund / redeem / adjust / expire and time moving forward,
checking after every step that each member's balances equal what their entries and lots say,
available never goes below zero and lifetime only ever drops by a refund."""

import datetime
import itertools
from decimal import Decimal

import pytest
import time_machine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from loyalty.models import EntryKind, LoyaltyAccount, Purchase
from loyalty.services.ledger import InsufficientPoints, points_adjust, points_debit
from loyalty.services.purchases import RefundExceedsPurchase, purchase_record, refund_record
from loyalty.tasks import lots_mature, points_expire
from tests.factories.ledger import MemberFactory, program_version_create
from tests.ledger.conftest import NOW, snapshot

_ids = itertools.count()  # external ids stay unique across examples (the database is shared)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=400, places=2)  # zero is refused


class LedgerMachine(RuleBasedStateMachine):
    members = Bundle("members")

    def __init__(self):
        super().__init__()
        self.clock = time_machine.travel(NOW, tick=False)
        self.traveller = self.clock.start()
        self.ids = _ids
        self.lifetimes: dict[int, int] = {}
        self.refunded: set[int] = set()  # members whose lifetime may drop in this step
        self.known = []

    def teardown(self):
        self.clock.stop()

    @rule(target=members)
    def enrol(self):
        member = MemberFactory()
        self.known.append(member)
        return member

    @rule(member=members, amount=amounts, days_ago=st.integers(0, 30))
    def purchase(self, member, amount, days_ago):
        purchase_record(
            member=member,
            external_id=f"p{next(self.ids)}",
            amount=amount,
            currency="EUR",
            purchased_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=days_ago),
            channel="store",
        )

    @rule(member=members, share=st.floats(0.01, 1.2), pick=st.integers(0, 10))
    def refund(self, member, share, pick):
        purchases = list(Purchase.objects.filter(member=member).order_by("pk"))
        if not purchases:
            return
        purchase = purchases[pick % len(purchases)]
        amount = (purchase.amount_left * Decimal(str(share))).quantize(Decimal("0.01"))
        if amount <= 0:
            return
        self.refunded.add(member.pk)
        if amount > purchase.amount_left:
            before = snapshot(member)
            with pytest.raises(RefundExceedsPurchase):
                refund_record(purchase=purchase, external_id=f"r{next(self.ids)}", amount=amount)
            assert snapshot(member) == before
        else:
            refund_record(purchase=purchase, external_id=f"r{next(self.ids)}", amount=amount)

    @rule(member=members, points=st.integers(1, 300))
    def redeem(self, member, points):
        before = snapshot(member)
        try:
            points_debit(member=member, points=points, kind=EntryKind.REDEEM, reason="reward")
        except InsufficientPoints:
            assert snapshot(member) == before

    @rule(member=members, points=st.integers(-200, 200).filter(bool))
    def adjust(self, member, points):
        before = snapshot(member)
        try:
            points_adjust(member=member, points=points, reason="correction", actor=None)
        except InsufficientPoints:
            assert points < 0
            assert snapshot(member) == before

    @rule(days=st.integers(1, 200))
    def time_passes(self, days):
        self.traveller.shift(datetime.timedelta(days=days))
        lots_mature()
        points_expire()

    @rule()
    def run_tasks_again(self):
        before = [snapshot(member) for member in self.known]
        lots_mature()
        points_expire()
        assert [snapshot(member) for member in self.known] == before

    @invariant()
    def balances_match_entries_and_lots(self):
        from loyalty.services.ledger import account_recompute

        for member in self.known:
            check = account_recompute(member=member)
            assert check["consistent"], check["problems"]
            account = LoyaltyAccount.objects.filter(member=member).first()
            lifetime = account.lifetime if account else 0
            assert check["stored"]["available"] >= 0
            previous = self.lifetimes.get(member.pk, 0)
            if member.pk not in self.refunded:
                assert lifetime >= previous
            self.lifetimes[member.pk] = lifetime
        self.refunded.clear()


@pytest.mark.django_db
def test_ledger_balances_always_match_their_entries():
    program_version_create(signup_bonus=True, pending_days=14)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
