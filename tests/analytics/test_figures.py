"""Every figure of ANALYTICS.md's table against a small history computed by hand.

The shop is in Madrid (CET, UTC+1 in November). The period is November 2026; its previous period
of equal length is 2 October to 1 November. Rows are written directly (the arithmetic of scoring
is tested elsewhere): purchases with their refunded amounts, and ledger entries of every kind.

    member  joined (Madrid)        counted purchases (net)                   status
    ana     2026-09-01             10 Oct 50 · 1 Nov 00:30 100 · 20 Nov 20    gold on 25 Nov
    bruno   2026-11-03             4 Nov refunded whole (not counted) · 25 Nov 60 online
    carla   2026-10-05             15 Oct 80                                  silver on 10 Nov
    dora    2026-11-30             -
    eloy    1 Dec 00:30 (not yet)  -
    fede    2026-01-01, erased     10 Nov 10
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from analytics.fact_counts import fact_counts
from analytics.facts import facts_rebuild, pending_member_ids
from analytics.figures import (
    Period,
    cohort_retention,
    outstanding_at,
    period_summary,
    tier_figures_of,
)
from analytics.ledger_days import ledger_days_advance
from analytics.models import LedgerDaysState, PurchaseFact
from config.events.services import event_record
from loyalty.events import PURCHASE_RECORDED
from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot, TierChange
from loyalty.models.ledger import EntryKind
from loyalty.selectors.points import outstanding_points_at
from loyalty.services.program import program_import
from members.models import Member
from members.services import member_erase
from tests.factories.analytics import at, buy, entry
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
NOVEMBER = Period(datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))


@pytest.fixture(params=["purchases", "facts", "facts, ana pending", "facts and ledger days"])
def history(request, rows):
    """The same history counted from the purchases and the entries (no facts, no ledger days),
    from the purchase facts, from the facts with one member's latest change not yet settled by
    their consumer, and from the facts and the ledger days (but for the entries from one
    written just now, not settled yet, which are read from the ledger)."""
    if request.param == "facts and ledger days":
        assert ledger_days_advance(MADRID) > 0
        floor = LedgerDaysState.objects.get().floor
        assert floor > 0  # the settled entries are in the days...
        assert LedgerEntry.objects.filter(pk__gt=floor).exists()  # ...not those since carla's
    if request.param != "purchases":
        facts_rebuild(MADRID)
        assert PurchaseFact.objects.count() == 6  # the counted purchases
    if request.param == "facts, ana pending":
        ana = Member.objects.get(user__email=rows["ana"])
        PurchaseFact.objects.filter(member=ana).delete()  # as if behind
        event_record(
            PURCHASE_RECORDED, occurred_at=at("2026-11-20T12:00"), payload={"member_id": ana.pk}
        )
        assert pending_member_ids() == {ana.pk}
    return request.param


@pytest.fixture
def rows():
    program_import(text=ledger_program_text(signup_bonus=False), note="figures")
    ana = MemberFactory(joined_at=at("2026-09-01T10:00"))
    bruno = MemberFactory(joined_at=at("2026-11-03T10:00"))
    carla = MemberFactory(joined_at=at("2026-10-05T10:00"))
    MemberFactory(joined_at=at("2026-11-30T20:00"))  # dora
    MemberFactory(joined_at=at("2026-12-01T00:30"))  # eloy: December in Madrid
    fede = MemberFactory(joined_at=at("2026-01-01T10:00"))

    buy(ana, at("2026-10-10T12:00"), "50")
    buy(ana, at("2026-11-01T00:30"), "100")  # 31 October 23:30 UTC: November in Madrid
    buy(ana, at("2026-11-20T12:00"), "30", refunded="10")
    buy(bruno, at("2026-11-04T12:00"), "40", refunded="40")  # not counted
    buy(bruno, at("2026-11-25T12:00"), "60", channel="online")
    buy(carla, at("2026-10-15T12:00"), "80")
    buy(fede, at("2026-11-10T12:00"), "10")

    entry(ana, EntryKind.EARN, 500, at("2026-05-01T12:00"))
    entry(ana, EntryKind.REDEEM, -50, at("2026-06-01T12:00"))
    entry(ana, EntryKind.EARN, 50, at("2026-10-10T12:00"))
    entry(ana, EntryKind.EARN, 100, at("2026-11-05T12:00"))
    entry(ana, EntryKind.BONUS, 50, at("2026-11-05T12:00"))
    entry(ana, EntryKind.REFUND, -10, at("2026-11-21T12:00"))
    entry(ana, EntryKind.REDEEM, -120, at("2026-11-22T12:00"))
    cancelled = entry(ana, EntryKind.REDEEM, -80, at("2026-11-23T12:00"))
    entry(ana, EntryKind.REVERSAL, 80, at("2026-11-24T12:00"), reverses=cancelled)
    entry(bruno, EntryKind.ADJUST, 25, at("2026-11-04T12:00"))
    entry(bruno, EntryKind.REFUND, -40, at("2026-11-05T12:00"))  # spent: a debt of 15
    # ...which the account records, as the ledger's services do (entries = available +
    # pending - debt): outstanding_points_at reads who owes from there.
    LoyaltyAccount.objects.update_or_create(member=bruno, defaults={"debt": 15})
    entry(carla, EntryKind.EARN, 80, at("2026-10-15T12:00"))
    entry(carla, EntryKind.EXPIRE, -20, at("2026-10-20T12:00"))
    entry(carla, EntryKind.EXPIRE, -30, at("2026-11-15T12:00"), created_at=timezone.now())
    entry(fede, EntryKind.EARN, 999, at("2025-01-01T12:00"))
    entry(fede, EntryKind.EXPIRE, -999, at("2025-11-15T12:00"))  # before breakage's 12 months
    entry(fede, EntryKind.EARN, 10, at("2026-11-10T12:00"))
    entry(fede, EntryKind.EARN, 7, at("2026-12-02T12:00"))  # after the period

    TierChange.objects.create(
        member=ana,
        from_code="bronze",
        to_code="silver",
        reason="upgrade",
        at=at("2026-10-20T12:00"),
    )
    TierChange.objects.create(
        member=ana, from_code="silver", to_code="gold", reason="upgrade", at=at("2026-11-25T12:00")
    )
    TierChange.objects.create(
        member=carla,
        from_code="bronze",
        to_code="silver",
        reason="upgrade",
        at=at("2026-11-10T12:00"),
    )
    member_erase(member=fede)
    return {"ana": ana.email}


def test_members_and_purchases(history):
    figures = period_summary(NOVEMBER)

    assert figures["members"] == 5  # all but eloy; erased fede included
    assert figures["new_members"] == 2  # bruno, dora
    assert figures["active_members"] == 3  # ana, bruno, fede
    assert figures["purchases"] == 4
    assert figures["revenue"] == Decimal("190.00")
    assert figures["average_order_value"] == Decimal("47.50")
    assert figures["purchase_frequency"] == Decimal("1.3333")
    assert figures["repeat_rate"] == Decimal("0.3333")  # ana
    assert figures["retention"] == Decimal("0.5000")  # ana of ana and carla
    assert figures["historic_value"] == Decimal("80.00")  # 320 over 4 buyers
    assert (figures["currency"], figures["time_zone"]) == ("EUR", "Europe/Madrid")


def test_channel_mix(history):
    mix = {row["channel"]: row for row in period_summary(NOVEMBER)["channel_mix"]}

    assert mix["store"] == {
        "channel": "store",
        "purchases": 3,
        "revenue": Decimal("130.00"),
        "active_members": 2,
    }
    assert mix["online"] == {
        "channel": "online",
        "purchases": 1,
        "revenue": Decimal("60.00"),
        "active_members": 1,
    }
    assert "app" not in mix


def test_points_and_liability(history):
    figures = period_summary(NOVEMBER)

    assert figures["points_issued"] == 110  # 100 + 50 - 10 + 10 - 40
    assert figures["points_redeemed"] == 120  # 120 + 80, less the 80 given back
    assert figures["points_expired"] == 30
    assert figures["redemption_rate"] == Decimal("1.0909")
    # Net positions at 1 December: ana 520, bruno -15 (a debt: none outstanding), carla 30,
    # fede 10 (the 7 of 2 December not yet).
    assert figures["outstanding_points"] == 560
    # Since 1 December 2025: 50 expired, 170 redeemed.
    assert figures["breakage"] == Decimal("0.2273")
    assert figures["liability_without_breakage"] == Decimal("5.60")
    assert figures["liability"] == Decimal("4.33")


def test_breakage_is_not_estimable_while_nothing_has_expired(history):
    figures = period_summary(Period(datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)))

    assert figures["points_expired"] == 0
    assert figures["outstanding_points"] == 999  # fede's, before they expired
    assert figures["breakage"] is None
    assert figures["liability"] == figures["liability_without_breakage"]


def test_outstanding_points_up_to_now_are_the_accounts_balances(history):
    figures = period_summary(Period(datetime.date(2026, 11, 1), datetime.date(2099, 1, 1)))

    # The rows above were written around the ledger service: the accounts still say 0 each.
    assert figures["outstanding_points"] == 0


def test_tiers(history):
    figures = period_summary(NOVEMBER)

    assert figures["tier_distribution"] == {"bronze": 3, "silver": 1, "gold": 1}
    assert figures["tier_movements"] == {
        "": {"bronze": 2, "silver": 0, "gold": 0},  # bruno and dora joined
        "bronze": {"bronze": 1, "silver": 1, "gold": 0},  # fede stayed, carla rose
        "silver": {"bronze": 0, "silver": 0, "gold": 1},  # ana
        "gold": {"bronze": 0, "silver": 0, "gold": 0},
    }


def test_cohort_retention(history):
    cohorts = cohort_retention(
        Period(datetime.date(2026, 10, 1), datetime.date(2026, 12, 1)), MADRID
    )

    assert cohorts == [
        # ana and carla first bought in October; ana again in November.
        {"month": "2026-10", "size": 2, "retention": [Decimal("1.0000"), Decimal("0.5000")]},
        # bruno's first counted purchase is in November (4 November was refunded), and fede's.
        {"month": "2026-11", "size": 2, "retention": [Decimal("1.0000")]},
    ]


def test_an_empty_period_has_no_rates(history):
    figures = period_summary(Period(datetime.date(2020, 1, 1), datetime.date(2020, 2, 1)))

    assert figures["purchases"] == 0
    assert figures["average_order_value"] is None
    assert figures["repeat_rate"] is None
    assert figures["retention"] is None
    assert figures["redemption_rate"] is None


@pytest.mark.parametrize("days", [False, True], ids=["from the ledger", "from the ledger days"])
def test_outstanding_points_at_a_past_moment_count_a_debt_as_none_until_paid(days):
    """gil spends his 20 points, then a refund takes back 30: he owes 30 (none outstanding)
    until a purchase of 50 on 20 November pays it (20 outstanding); hal just has 5."""
    program_import(text=ledger_program_text(signup_bonus=False), note="debt")
    gil, hal = MemberFactory(), MemberFactory()
    entry(gil, EntryKind.EARN, 20, at("2026-10-01T12:00"))
    entry(gil, EntryKind.REDEEM, -20, at("2026-10-02T12:00"))
    entry(gil, EntryKind.REFUND, -30, at("2026-10-03T12:00"))
    paid_by = entry(gil, EntryKind.EARN, 50, at("2026-11-20T12:00"))
    PointsLot.objects.create(
        member=gil,
        entry=paid_by,
        points=50,
        remaining=20,
        debt_paid=30,
        available_at=paid_by.occurred_at,
        is_matured=True,
        earned_at=paid_by.occurred_at,
    )
    entry(hal, EntryKind.EARN, 5, at("2026-09-01T12:00"))
    if days:
        assert ledger_days_advance(MADRID) > 0

    def outstanding(day: str) -> int:
        if days:  # the ledger's net movement from the days
            return outstanding_at(at(f"{day}T00:00"), MADRID)
        return outstanding_points_at(at(f"{day}T00:00"))

    assert outstanding("2026-10-02") == 25  # gil 20, hal 5
    assert outstanding("2026-11-01") == 5  # gil owes 30: none
    assert outstanding("2026-11-21") == 25  # gil 20 after paying


def test_the_counts_without_postgresqls_functions_are_the_same(rows):
    """SQLite (make run) groups the facts and reads the tier changes without width_bucket and
    array_agg: the same counts."""
    facts_rebuild(MADRID)
    periods = [NOVEMBER, NOVEMBER.previous(), Period(datetime.date(2026, 10, 1), NOVEMBER.end)]
    facts = PurchaseFact.objects.all()
    assert fact_counts(facts, periods, native=False) == fact_counts(facts, periods)
    native = tier_figures_of(periods, MADRID, ["bronze", "silver", "gold"])
    generic = tier_figures_of(periods, MADRID, ["bronze", "silver", "gold"], native=False)
    assert generic == native
    assert native[0]["tier_distribution"] == {"bronze": 3, "silver": 1, "gold": 1}
    assert native[2]["tier_movements"][""]["silver"] == 1  # carla joined on 5 October
