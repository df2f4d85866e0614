"""What each rule means (campaigns.segment_query), as of a fixed now in the program's time zone
(Europe/Madrid), on PostgreSQL."""

from decimal import Decimal

import pytest

from analytics.models import MemberForecast
from campaigns.segment_query import segment_queryset
from members.birthdays import Birthday
from members.services import member_erase
from tests.campaigns.segments.conftest import block, buy, days_ago, member
from tests.factories.members import StaffUserFactory

pytestmark = pytest.mark.django_db


def matching(moment, *rules, match="all") -> set:
    members = segment_queryset(match=match, rules=list(rules), moment=moment)
    return set(members.values_list("user__first_name", flat=True))


def rule(field, op, value, **extra):
    return {"field": field, "op": op, "value": value, **extra}


def test_days_since_last_purchase_counts_program_days_and_ignores_refunded_purchases(moment):
    recent, lapsed, _never, refunded = (member(first_name=n) for n in ("R", "L", "N", "F"))
    buy(recent, days_ago(10))
    buy(lapsed, days_ago(200))
    buy(lapsed, days_ago(100))
    buy(refunded, days_ago(50))
    buy(refunded, days_ago(5), "20.00", refund="20.00")  # fully refunded: not a purchase

    assert matching(moment, rule("days_since_last_purchase", "gte", 90)) == {"L"}
    assert matching(moment, rule("days_since_last_purchase", "lte", 10)) == {"R"}
    assert matching(moment, rule("days_since_last_purchase", "eq", 10)) == {"R"}
    assert matching(moment, rule("days_since_last_purchase", "between", [40, 60])) == {"F"}
    assert matching(moment, rule("days_since_last_purchase", "in", [9, 50])) == {"F"}
    # No purchase at all never matches, not even "not 10 days".
    assert matching(moment, rule("days_since_last_purchase", "ne", 10)) == {"L", "F"}
    assert matching(moment, rule("days_since_last_purchase", "not_in", [10, 100])) == {"F"}


def test_a_day_is_a_day_on_the_programs_clock(moment):
    # 00:30 in Madrid today is 22:30 UTC yesterday: zero days, not one.
    night = member(first_name="Night")
    buy(night, days_ago(0, hour=0, minute=30))
    late = member(first_name="Late")
    buy(late, days_ago(1, hour=23, minute=59))

    assert matching(moment, rule("days_since_last_purchase", "eq", 0)) == {"Night"}
    assert matching(moment, rule("days_since_last_purchase", "eq", 1)) == {"Late"}
    assert matching(moment, rule("purchases", "gte", 1, window_days=1)) == {"Night"}
    assert matching(moment, rule("purchases", "gte", 1, window_days=2)) == {"Night", "Late"}


def test_purchases_count_net_of_refunds_within_the_window(moment):
    two, one, none = member(first_name="Two"), member(first_name="One"), member(first_name="None")
    buy(two, days_ago(3))
    buy(two, days_ago(20), "30.00", refund="10.00")  # partly refunded: still a purchase
    buy(two, days_ago(400))  # outside a 365-day window
    buy(one, days_ago(3))
    buy(one, days_ago(4), refund="10.00")  # fully refunded: not a purchase

    assert matching(moment, rule("purchases", "gte", 2)) == {"Two"}
    assert matching(moment, rule("purchases", "eq", 2, window_days=365)) == {"Two"}
    assert matching(moment, rule("purchases", "eq", 3)) == {"Two"}
    assert matching(moment, rule("purchases", "gte", 2, window_days=7)) == set()
    # Zero purchases satisfies "at most one": a member with none is in.
    assert matching(moment, rule("purchases", "lte", 1, window_days=30)) == {"One", "None"}
    assert matching(moment, rule("purchases", "eq", 0)) == {"None"}
    assert matching(moment, rule("purchases", "ne", 1)) == {"Two", "None"}
    assert matching(moment, rule("purchases", "between", [1, 2], window_days=30)) == {
        "Two",
        "One",
    }
    del none


def test_spend_and_average_order_value_are_net_of_refunds(moment):
    big, small, none = member(first_name="Big"), member(first_name="Small"), member(first_name="No")
    buy(big, days_ago(3), "100.00", refund="40.00")  # 60 left
    buy(big, days_ago(40), "30.00")
    buy(small, days_ago(2), "15.50")
    buy(small, days_ago(5), "50.00", refund="50.00")

    assert matching(moment, rule("spend", "gte", "90.00")) == {"Big"}
    assert matching(moment, rule("spend", "eq", "90")) == {"Big"}
    assert matching(moment, rule("spend", "gte", "90.00", window_days=30)) == set()
    assert matching(moment, rule("spend", "between", ["60", "60.00"], window_days=30)) == {"Big"}
    assert matching(moment, rule("spend", "lte", "20")) == {"Small", "No"}
    # Average: Big (60 + 30) / 2 = 45; Small 15.50 / 1. No purchase: no average, never matches.
    assert matching(moment, rule("average_order_value", "eq", "45")) == {"Big"}
    assert matching(moment, rule("average_order_value", "lte", "45")) == {"Big", "Small"}
    assert matching(moment, rule("average_order_value", "gte", "45.01")) == set()
    assert matching(moment, rule("average_order_value", "ne", "45")) == {"Small"}
    assert matching(
        moment, rule("average_order_value", "between", ["15.50", "60"], window_days=30)
    ) == {"Big", "Small"}
    del none


def test_balances_and_tier(moment):
    rich, poor = member(first_name="Rich"), member(first_name="Poor")
    buy(rich, days_ago(2), "600.00")  # silver from 500 spent
    buy(poor, days_ago(2), "20.00")

    assert matching(moment, rule("available_points", "gte", 600)) == {"Rich"}
    assert matching(moment, rule("lifetime_points", "between", [10, 30])) == {"Poor"}
    assert matching(moment, rule("tier", "eq", "silver")) == {"Rich"}
    assert matching(moment, rule("tier", "in", ["bronze", "gold"])) == {"Poor"}
    assert matching(moment, rule("tier", "not_in", ["silver"])) == {"Poor"}


def test_a_member_before_any_ledger_write_has_no_points_and_the_lowest_tier(moment):
    # The account row is opened by the first ledger write; until then balances read as zero.
    member(first_name="Fresh")
    buy(member(first_name="Buyer"), days_ago(1), "30.00")

    assert matching(moment, rule("tier", "eq", "bronze")) == {"Fresh", "Buyer"}
    assert matching(moment, rule("tier", "ne", "bronze")) == set()
    assert matching(moment, rule("available_points", "eq", 0)) == {"Fresh"}
    assert matching(moment, rule("available_points", "lte", 30)) == {"Fresh", "Buyer"}
    assert matching(moment, rule("lifetime_points", "gte", 1)) == {"Buyer"}
    assert matching(moment, rule("lifetime_points", "ne", 30)) == {"Fresh"}


def test_joined_birthday_and_language(moment):
    member(first_name="New", joined_at=days_ago(3), language="es")
    member(
        first_name="Old",
        joined_at=days_ago(800),
        language="fr",
        birthday=Birthday(day=2, month=6),
    )
    member(first_name="Dec", joined_at=days_ago(30), birthday=Birthday(day=24, month=12))

    assert matching(moment, rule("days_since_joined", "lte", 30)) == {"New", "Dec"}
    assert matching(moment, rule("days_since_joined", "eq", 3)) == {"New"}
    assert matching(moment, rule("days_since_joined", "gte", 31)) == {"Old"}
    assert matching(moment, rule("birthday_month", "eq", "current")) == {"Old"}  # June
    assert matching(moment, rule("birthday_month", "in", [12, 1])) == {"Dec"}
    # Without a birthday a member is in no month, not even "not June".
    assert matching(moment, rule("birthday_month", "ne", 6)) == {"Dec"}
    assert matching(moment, rule("language", "in", ["es", "fr"])) == {"New", "Old"}
    assert matching(moment, rule("language", "ne", "en")) == {"New", "Old"}


def test_consent_is_the_marketing_consent_of_the_channel(moment):
    member(first_name="Mail", marketing_email_opt_in=True)
    member(first_name="Text", marketing_sms_opt_in=True)
    member(first_name="App", marketing_push_opt_in=True)
    member(first_name="Quiet")

    assert matching(moment, rule("consent", "eq", "email")) == {"Mail"}
    assert matching(moment, rule("consent", "eq", "push")) == {"App"}
    assert matching(moment, rule("consent", "in", ["email", "sms"])) == {"Mail", "Text"}
    assert matching(moment, rule("consent", "ne", "email")) == {"Text", "App", "Quiet"}
    assert matching(moment, rule("consent", "not_in", ["sms", "push"])) == {"Mail", "Quiet"}


def test_channel_and_category_bought_within_the_window(moment):
    wine = [{"sku": "V", "category": "wine", "quantity": 1, "unit_price": "8.00"}]
    cheese = [{"sku": "Q", "category": "cheese", "quantity": 1, "unit_price": "5.00"}]
    online, store, refunded = (member(first_name=n) for n in ("Online", "Store", "Refunded"))
    buy(online, days_ago(5), channel="online", items=cheese)
    buy(store, days_ago(60), items=wine)
    buy(refunded, days_ago(1), channel="app", items=wine, refund="10.00")

    assert matching(moment, rule("channel", "eq", "online")) == {"Online"}
    assert matching(moment, rule("channel", "in", ["store", "app"])) == {"Store"}
    assert matching(moment, rule("channel", "eq", "store", window_days=30)) == set()
    assert matching(moment, rule("channel", "ne", "online")) == {"Store", "Refunded"}
    assert matching(moment, rule("category", "eq", "wine")) == {"Store"}
    assert matching(moment, rule("category", "in", ["wine", "cheese"], window_days=30)) == {
        "Online"
    }
    assert matching(moment, rule("category", "not_in", ["cheese"])) == {"Store", "Refunded"}


def test_churn_risk_reads_the_forecast_and_no_forecast_never_matches(moment):
    high, low = member(first_name="High"), member(first_name="Low")
    member(first_name="Unknown")
    MemberForecast.objects.create(member=high, churn_risk="high")
    MemberForecast.objects.create(member=low, churn_risk="low")

    assert matching(moment, rule("churn_risk", "eq", "high")) == {"High"}
    assert matching(moment, rule("churn_risk", "in", ["low", "medium"])) == {"Low"}
    assert matching(moment, rule("churn_risk", "ne", "high")) == {"Low"}
    assert matching(moment, rule("churn_risk", "not_in", ["low"])) == {"High"}


def test_blocked_and_erased_members_are_never_in_a_segment(moment):
    _kept, blocked, erased = (member(first_name=n, language="es") for n in ("Kept", "Bl", "Er"))
    block(blocked, StaffUserFactory())
    member_erase(member=erased)

    assert matching(moment, rule("language", "eq", "es")) == {"Kept"}
    assert matching(moment) == {"Kept"}


def test_all_needs_every_rule_and_any_one_of_them(moment):
    both = member(first_name="Both", language="es", marketing_email_opt_in=True)
    member(first_name="Spanish", language="es")
    member(first_name="Mail", marketing_email_opt_in=True)
    buy(both, days_ago(1), "12.00")
    rules = [rule("language", "eq", "es"), rule("consent", "eq", "email")]

    assert matching(moment, *rules) == {"Both"}
    assert matching(moment, *rules, match="any") == {"Both", "Spanish", "Mail"}
    assert matching(
        moment, rule("spend", "gte", "12"), rule("purchases", "eq", 0), match="any"
    ) == {"Both", "Spanish", "Mail"}


def test_a_five_rule_segment_is_one_query(moment, django_assert_num_queries):
    shopper = member(first_name="Shopper", language="es", marketing_email_opt_in=True)
    buy(shopper, days_ago(20), "120.00")
    buy(shopper, days_ago(3), "30.00")
    member(first_name="Other", language="es")
    rules = [
        rule("tier", "in", ["bronze", "silver"]),
        rule("days_since_last_purchase", "lte", 30),
        rule("purchases", "gte", 2, window_days=365),
        rule("spend", "gte", "100.00", window_days=90),
        rule("consent", "eq", "email"),
    ]
    queryset = segment_queryset(match="all", rules=rules, moment=moment)

    with django_assert_num_queries(1):
        assert queryset.count() == 1
    assert Decimal("150.00") == sum(p.amount for p in shopper.purchases.all())


@pytest.mark.parametrize(
    "rules",
    [
        [rule("purchases", "gte", 2, window_days=30), rule("spend", "gte", "50", window_days=7)],
        [rule("purchases", "eq", 1), rule("spend", "between", ["10", "40"], window_days=30)],
        [rule("average_order_value", "gte", "20"), rule("purchases", "gte", 2, window_days=90)],
        [rule("spend", "ne", "0", window_days=7), rule("average_order_value", "lte", "25")],
        # One of them holds for a member without purchases: read apart from the others.
        [
            rule("purchases", "lte", 1, window_days=7),
            rule("spend", "gte", "20"),
            rule("purchases", "gte", 2),
        ],
    ],
)
def test_aggregates_read_together_mean_what_they_mean_apart(moment, rules):
    shoppers = {
        "Weekly": [(1, "30.00"), (3, "30.00"), (20, "15.00")],
        "Monthly": [(10, "25.00"), (25, "25.00")],
        "Once": [(2, "12.00")],
        "Old": [(60, "80.00"), (200, "10.00")],
        "Refunded": [(1, "40.00", "40.00"), (50, "20.00")],
    }
    for name, purchases in shoppers.items():
        someone = member(first_name=name)
        for days, amount, *refund in purchases:
            buy(someone, days_ago(days), amount, refund=refund[0] if refund else None)
    member(first_name="Never")

    apart = set.intersection(*(matching(moment, each) for each in rules))
    assert matching(moment, *rules) == apart
    assert apart  # the fixture makes each case select someone
