"""Scoring per PROGRAM.md: the worked example, each rule kind alone and combined, boundaries."""

import datetime
import json
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty.program_file import parse_program_text
from loyalty.scoring import Item, score_purchase
from tests.factories.loyalty import ItemFactory

UTC = datetime.UTC
# Tuesday 8 December 2026, noon in Madrid.
TUESDAY = datetime.datetime(2026, 12, 8, 11, 0, tzinfo=UTC)
# Wednesday 9 December 2026, noon in Madrid.
WEDNESDAY = datetime.datetime(2026, 12, 9, 11, 0, tzinfo=UTC)


def program_with(rules: str, *, rounding: str = "floor", timezone: str = "Europe/Madrid"):
    return parse_program_text(
        f"""
program:
  {{name: Test, currency: EUR, timezone: {timezone}, point_value: "0.01", rounding: {rounding}}}
tiers:
  levels:
    - {{code: bronze, name: {{en: Bronze}}, threshold: "0", multiplier: "1"}}
    - {{code: silver, name: {{en: Silver}}, threshold: "500", multiplier: "1.25"}}
    - {{code: gold, name: {{en: Gold}}, threshold: "1500", multiplier: "1.5"}}
rules:
{rules}
"""
    )


def score(program, amount, *, items=(), at=WEDNESDAY, channel="store", tier=None):
    return score_purchase(
        program=program,
        tier_code=tier,
        amount=Decimal(amount),
        items=list(items),
        purchased_at=at,
        channel=channel,
    )


def wine(quantity=2, price="12.50", sku="VINO-TINTO-75"):
    return Item(sku=sku, category="wine", quantity=quantity, unit_price=Decimal(price))


def parts(result, part):
    return [entry for entry in result.breakdown if entry["part"] == part]


BASE = '  - {code: base, kind: per_currency_unit, points: 1, per: "1.00"}'


# --- The worked example ----------------------------------------------------------------------


def test_worked_example_scores_204_with_its_breakdown(example_program):
    cheese = Item(sku="QUESO-1", category="food", quantity=1, unit_price=Decimal("29.90"))

    result = score(example_program, "54.90", items=[wine(), cheese], at=TUESDAY, tier="silver")

    assert result.points == 204
    assert result.breakdown == [
        {
            "part": "B",
            "code": "base",
            "kind": "per_currency_unit",
            "inputs": {"amount": "54.90", "per": "1.00", "points": 1},
            "value": "54.9",
        },
        {
            "part": "C",
            "code": "wine_double",
            "kind": "category_multiplier",
            "inputs": {
                "category": "wine",
                "share": "25.00",
                "multiplier": "2",
                "base_rule": "base",
                "per": "1.00",
                "points": 1,
            },
            "value": "25",
        },
        {
            "part": "I",
            "code": "bottle",
            "kind": "per_item",
            "inputs": {"quantity": "2", "points": 1, "category": "wine"},
            "value": "2",
        },
        {
            "part": "M",
            "code": "tuesdays",
            "kind": "promo_multiplier",
            "inputs": {"multiplier": "2"},
            "value": "2",
        },
        {
            "part": "M",
            "code": "silver",
            "kind": "tier",
            "inputs": {"multiplier": "1.25", "in_program": True},
            "value": "1.25",
        },
        {
            "part": "T",
            "code": "big_basket",
            "kind": "spend_threshold_bonus",
            "inputs": {"amount": "54.90", "min_amount": "100.00", "points": 50, "reached": False},
            "value": "0",
        },
        {
            "part": "total",
            "code": None,
            "kind": "total",
            "inputs": {
                "subtotal": "81.9",
                "multiplier": "2.5",
                "bonus": "0",
                "unrounded": "204.75",
                "rounding": "floor",
            },
            "value": "204",
        },
    ]
    assert json.loads(json.dumps(result.breakdown)) == result.breakdown
    assert (result.subtotal, result.multiplier, result.bonus) == (
        Decimal("81.9"),
        Decimal("2.5"),
        Decimal(0),
    )


def test_worked_example_on_a_wednesday_has_no_promo(example_program):
    result = score(example_program, "54.90", items=[wine()], at=WEDNESDAY, tier="silver")

    assert parts(result, "M") == [parts(result, "M")[0]]
    assert parts(result, "M")[0]["kind"] == "tier"
    assert result.points == 102  # floor(81.9 * 1.25) = floor(102.375)


def test_worked_example_online_has_no_promo(example_program):
    result = score(
        example_program, "54.90", items=[wine()], at=TUESDAY, channel="online", tier="silver"
    )

    assert result.points == 102


# --- Each kind alone -------------------------------------------------------------------------


def test_per_currency_unit_gives_points_per_amount():
    program = program_with('  - {code: base, kind: per_currency_unit, points: 5, per: "10.00"}')

    result = score(program, "54.90")

    assert result.points == 27  # floor(54.90 / 10 * 5) = floor(27.45)
    assert parts(result, "B")[0]["value"] == "27.45"


def test_every_per_currency_unit_rule_adds_its_own_base():
    program = program_with(
        BASE + '\n  - {code: extra, kind: per_currency_unit, points: 1, per: "2.00"}'
    )

    assert score(program, "10.00").points == 15


def test_per_item_without_category_counts_every_item():
    program = program_with("  - {code: each, kind: per_item, points: 2}")
    items = [wine(quantity=2), ItemFactory(category="food", quantity=3)]

    result = score(program, "40.00", items=items)

    assert result.points == 10
    assert parts(result, "I")[0]["inputs"] == {"quantity": "5", "points": 2}


def test_per_item_with_category_counts_only_that_category():
    program = program_with("  - {code: bottle, kind: per_item, points: 1, category: wine}")
    items = [wine(quantity=2), ItemFactory(category="food", quantity=3)]

    assert score(program, "40.00", items=items).points == 2


def test_per_item_with_sku_counts_only_that_sku():
    program = program_with("  - {code: red, kind: per_item, points: 3, sku: VINO-TINTO-75}")
    items = [wine(quantity=2), wine(quantity=5, sku="VINO-BLANCO-75")]

    assert score(program, "40.00", items=items).points == 6


def test_a_purchase_with_no_items_gives_nothing_from_item_rules():
    program = program_with(
        BASE
        + "\n  - {code: bottle, kind: per_item, points: 1, category: wine}"
        + '\n  - {code: wine_double, kind: category_multiplier, category: wine, multiplier: "2"}'
    )

    result = score(program, "54.90", items=[])

    assert result.points == 54
    assert parts(result, "I")[0]["value"] == "0"
    assert parts(result, "C")[0]["value"] == "0"


def test_category_multiplier_adds_the_extra_share_at_the_base_rate():
    program = program_with(
        '  - {code: base, kind: per_currency_unit, points: 2, per: "1.00"}\n'
        '  - {code: wine_triple, kind: category_multiplier, category: wine, multiplier: "3"}'
    )

    result = score(program, "40.00", items=[wine(quantity=2, price="10.00")])

    # B = 40 * 2 = 80; C = 20 * (3 - 1) / 1 * 2 = 80
    assert result.points == 160
    assert parts(result, "C")[0]["value"] == "80"


def test_category_multiplier_with_sku_takes_that_sku_share():
    program = program_with(
        BASE + '\n  - {code: red, kind: category_multiplier, sku: VINO-TINTO-75, multiplier: "2"}'
    )
    items = [wine(quantity=1, price="10.00"), wine(quantity=1, price="30.00", sku="OTHER")]

    assert score(program, "40.00", items=items).points == 50


def test_category_multiplier_is_priced_by_the_first_applicable_base_rule():
    program = program_with(
        '  - {code: base, kind: per_currency_unit, points: 1, per: "1.00"}\n'
        '  - {code: app_base, kind: per_currency_unit, points: 10, per: "1.00", channels: [app]}\n'
        '  - {code: wine_double, kind: category_multiplier, category: wine, multiplier: "2"}'
    )
    items = [wine(quantity=1, price="10.00")]

    in_store = score(program, "10.00", items=items, channel="store")

    assert parts(in_store, "C")[0]["inputs"]["base_rule"] == "base"
    assert in_store.points == 20


def test_category_multiplier_without_a_base_rule_gives_nothing():
    program = program_with(
        '  - {code: wine_double, kind: category_multiplier, category: wine, multiplier: "2"}'
    )

    result = score(program, "25.00", items=[wine()])

    assert result.points == 0
    assert "base_rule" not in parts(result, "C")[0]["inputs"]


def test_spend_threshold_bonus_applies_when_the_amount_equals_the_minimum():
    program = program_with(
        '  - {code: big_basket, kind: spend_threshold_bonus, min_amount: "100.00", points: 50}'
    )

    assert score(program, "100.00").points == 50
    assert score(program, "99.99").points == 0


def test_spend_threshold_bonus_is_not_multiplied():
    program = program_with(
        BASE
        + '\n  - {code: big_basket, kind: spend_threshold_bonus, min_amount: "100.00", points: 50}'
        + '\n  - {code: double, kind: promo_multiplier, multiplier: "2"}'
    )

    result = score(program, "100.00", tier="gold")

    assert result.points == 350  # 100 * 2 * 1.5 + 50


def test_promo_multipliers_multiply_each_other_and_the_tier():
    program = program_with(
        BASE
        + '\n  - {code: double, kind: promo_multiplier, multiplier: "2"}'
        + '\n  - {code: half_more, kind: promo_multiplier, multiplier: "1.5"}'
    )

    result = score(program, "10.00", tier="silver")

    assert result.multiplier == Decimal("3.75")
    assert result.points == 37  # floor(37.5)


def test_tier_multiplier_applies_per_tier(example_program):
    bronze = score(example_program, "10.00", tier="bronze")
    gold = score(example_program, "10.00", tier="gold")
    no_tier = score(example_program, "10.00", tier=None)

    assert (bronze.points, gold.points, no_tier.points) == (10, 15, 10)
    assert not [entry for entry in no_tier.breakdown if entry["kind"] == "tier"]


def test_a_tier_missing_from_the_program_earns_no_multiplier(example_program):
    result = score(example_program, "10.00", tier="platinum")

    assert result.points == 10
    assert parts(result, "M")[0]["inputs"] == {"multiplier": "1", "in_program": False}


def test_combined_rules_follow_the_formula():
    program = program_with(
        BASE
        + "\n  - {code: bottle, kind: per_item, points: 3, category: wine}"
        + '\n  - {code: wine_double, kind: category_multiplier, category: wine, multiplier: "2"}'
        + '\n  - {code: big_basket, kind: spend_threshold_bonus, min_amount: "100.00", points: 50}'
        + '\n  - {code: double, kind: promo_multiplier, multiplier: "2", channels: [store]}'
    )
    items = [wine(quantity=4, price="20.00"), ItemFactory(category="food", unit_price=Decimal(40))]

    result = score(program, "120.00", items=items, tier="gold")

    # B = 120; C = 80; I = 12; M = 2 * 1.5 = 3; T = 50 -> (212 * 3) + 50 = 686
    assert result.points == 686
    assert [entry["part"] for entry in result.breakdown] == ["B", "C", "I", "M", "M", "T", "total"]


# --- Windows, weekdays, channels -------------------------------------------------------------

WINDOW = (
    BASE
    + '\n  - {code: december, kind: promo_multiplier, multiplier: "2", '
    + "starts: 2026-12-01, ends: 2026-12-31}"
)


@pytest.mark.parametrize(
    ("purchased_at", "points"),
    [
        # 23:30 UTC on 30 November is 00:30 on 1 December in Madrid: the first day.
        (datetime.datetime(2026, 11, 30, 23, 30, tzinfo=UTC), 20),
        # 22:59 UTC on 30 November is still 23:59 on 30 November in Madrid.
        (datetime.datetime(2026, 11, 30, 22, 59, tzinfo=UTC), 10),
        # 22:30 UTC on 31 December is 23:30 on the last day in Madrid.
        (datetime.datetime(2026, 12, 31, 22, 30, tzinfo=UTC), 20),
        # 23:30 UTC on 31 December is already 1 January in Madrid.
        (datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), 10),
    ],
)
def test_windows_are_inclusive_days_in_the_program_timezone(purchased_at, points):
    assert score(program_with(WINDOW), "10.00", at=purchased_at).points == points


def test_windows_are_read_in_utc_when_the_program_says_so():
    program = program_with(WINDOW, timezone="UTC")

    assert (
        score(program, "10.00", at=datetime.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)).points == 10
    )


def test_a_window_restricts_a_base_rule_too():
    program = program_with(
        '  - {code: base, kind: per_currency_unit, points: 1, per: "1.00", ends: 2026-11-30}'
    )

    assert score(program, "10.00", at=WEDNESDAY).points == 0


def test_weekdays_are_read_in_the_program_timezone():
    program = program_with(
        BASE + '\n  - {code: tue, kind: promo_multiplier, multiplier: "2", weekdays: [tue]}'
    )
    monday_late_utc = datetime.datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # Tuesday in Madrid
    monday_evening = datetime.datetime(2026, 12, 7, 18, 0, tzinfo=UTC)

    assert score(program, "10.00", at=monday_late_utc).points == 20
    assert score(program, "10.00", at=monday_evening).points == 10


def test_channels_restrict_rules():
    program = program_with(
        BASE + "\n  - {code: app_bonus, kind: per_item, points: 5, channels: [app, online]}"
    )

    assert score(program, "10.00", items=[wine(quantity=1)], channel="app").points == 15
    assert score(program, "10.00", items=[wine(quantity=1)], channel="store").points == 10


def test_event_bonus_rules_never_score_a_purchase(example_program):
    result = score(example_program, "10.00")

    assert "event_bonus" not in {entry["kind"] for entry in result.breakdown}


# --- Rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rounding", "amount", "points"),
    [
        ("floor", "10.50", 10),
        ("floor", "10.99", 10),
        ("round", "10.49", 10),
        ("round", "10.50", 11),  # half up
        ("ceil", "10.01", 11),
        ("ceil", "10.00", 10),
    ],
)
def test_rounding_applies_once_to_the_total(rounding, amount, points):
    program = program_with(BASE, rounding=rounding)

    assert score(program, amount).points == points


def test_a_non_terminating_division_is_exact_enough_to_round_right():
    program = program_with(
        '  - {code: base, kind: per_currency_unit, points: 1, per: "3.00"}', rounding="ceil"
    )

    assert score(program, "9.00").points == 3  # 9 / 3 is exactly 3, not 3.000...01


# --- Refused inputs --------------------------------------------------------------------------


def test_a_float_amount_is_refused(example_program):
    with pytest.raises(TypeError):
        score_purchase(
            program=example_program,
            tier_code=None,
            amount=54.9,
            items=[],
            purchased_at=TUESDAY,
            channel="store",
        )


def test_a_naive_purchase_time_is_refused(example_program):
    with pytest.raises(ValueError, match="aware"):
        score(example_program, "10.00", at=datetime.datetime(2026, 12, 8, 12, 0))  # noqa: DTZ001


def test_a_float_unit_price_is_refused():
    with pytest.raises(TypeError):
        Item(sku="X", quantity=1, unit_price=12.5)


# --- Property: the Decimal arithmetic equals exact rational arithmetic ------------------------

EXACT = program_with(
    '  - {code: base, kind: per_currency_unit, points: 2, per: "3.00"}\n'
    '  - {code: wine_more, kind: category_multiplier, category: wine, multiplier: "1.5"}\n'
    "  - {code: bottle, kind: per_item, points: 1, category: wine}\n"
    '  - {code: promo, kind: promo_multiplier, multiplier: "1.25"}\n'
    '  - {code: big, kind: spend_threshold_bonus, min_amount: "100.00", points: 7}',
    rounding="floor",
)


@given(
    cents=st.integers(min_value=0, max_value=10_000_000),
    wine_cents=st.integers(min_value=0, max_value=100_000),
    bottles=st.integers(min_value=0, max_value=50),
)
def test_points_equal_the_formula_in_exact_fractions(cents, wine_cents, bottles):
    amount = Decimal(cents).scaleb(-2)
    price = Decimal(wine_cents).scaleb(-2)
    items = [Item(sku="W", category="wine", quantity=bottles, unit_price=price)] if bottles else []

    result = score(EXACT, amount, items=items, tier="gold")

    share = Fraction(wine_cents * bottles, 100)
    base = Fraction(cents, 100) / 3 * 2
    extra = share * Fraction(1, 2) / 3 * 2
    bonus = 7 if cents >= 10_000 else 0
    expected = math.floor((base + extra + bottles) * Fraction(5, 4) * Fraction(3, 2) + bonus)
    assert result.points == expected


def test_a_division_that_never_ends_in_decimal_still_floors_to_the_exact_integer():
    # 4.00 / 3.00 x 2 x 1.25 x 1.5 is exactly 5; at 50 Decimal digits it was 4.999...98 -> 4.
    result = score(EXACT, "4.00", tier="gold")
    assert result.points == 5
