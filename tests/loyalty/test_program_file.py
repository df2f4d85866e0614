"""The program file: the example parses, export round-trips, and every error names its line."""

import datetime
from decimal import Decimal

import pytest

from loyalty.program_file import (
    ProgramInvalid,
    parse_program_data,
    parse_program_text,
    program_to_data,
    program_to_text,
)


def errors_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(ProgramInvalid) as refused:
        parse_program_text(text)
    return [(error.line, str(error)) for error in refused.value.errors]


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once in the example"
    return text.replace(old, new)


def test_the_example_parses_into_the_program_it_describes(example_program):
    program = example_program

    assert (program.name, program.currency, program.timezone) == (
        "Club Sicmay",
        "EUR",
        "Europe/Madrid",
    )
    assert program.point_value == Decimal("0.01")
    assert (program.pending_days, program.rounding) == (14, "floor")
    assert (program.expiry.policy, program.expiry.months, program.expiry.warn_days) == (
        "rolling",
        12,
        30,
    )
    assert [(t.code, t.threshold, t.multiplier) for t in program.tiers] == [
        ("bronze", Decimal(0), Decimal("1.0")),
        ("silver", Decimal(500), Decimal("1.25")),
        ("gold", Decimal(1500), Decimal("1.5")),
    ]
    assert program.tiers[2].benefits == ("free_shipping", "early_access")
    assert program.tiers[1].name == {"en": "Silver", "es": "Plata", "fr": "Argent"}
    assert [rule.code for rule in program.rules] == [
        "base",
        "bottle",
        "wine_double",
        "big_basket",
        "tuesdays",
        "welcome",
        "birthday",
        "referral",
        "survey",
    ]
    tuesdays = program.rule("tuesdays")
    assert tuesdays.starts == datetime.date(2026, 12, 1)
    assert tuesdays.weekdays == ("tue",)
    assert tuesdays.channels == ("store",)
    assert [reward.code for reward in program.rewards] == [
        "free-bottle",
        "ten-off",
        "loyal20",
        "cashback-5",
        "tasting-dec",
    ]
    tasting = program.rewards[4]
    assert (tasting.stock, tasting.min_tier, tasting.voucher_valid_days) == (30, "gold", 90)


def test_export_reads_back_as_the_same_program_and_the_same_text(example_program):
    text = program_to_text(example_program)

    again = parse_program_text(text)

    assert again == example_program
    assert program_to_text(again) == text


def test_snapshot_data_parses_back_to_the_same_program(example_program):
    assert parse_program_data(program_to_data(example_program)) == example_program


def test_decimals_are_read_from_their_text_quoted_or_not(example_text):
    text = edit(example_text, 'multiplier: "1.25"', "multiplier: 1.25")

    assert parse_program_text(text).tiers[1].multiplier == Decimal("1.25")


def test_defaults_fill_what_a_short_file_leaves_out():
    program = parse_program_text('program: {name: Mini, point_value: "0.01"}\ntiers: {levels: []}')

    assert (program.currency, program.timezone, program.rounding, program.expiry.policy) == (
        "EUR",
        "UTC",
        "floor",
        "none",
    )
    assert (program.qualification_metric, program.qualification_window_months) == ("spend", 12)
    assert program.rules == ()


ERRORS = [
    # (old text, new text, line, expected problem)
    ("kind: per_item,", "kind: per_bottle,", 23, "unknown rule kind 'per_bottle'"),
    ("points: 1, per:", "points: -1, per:", 22, "rules[0].points: must not be negative"),
    (', per: "1.00"}', "}", 22, "rules[0].per: is required"),
    ('multiplier: "2"}', 'multiplier: "two"}', 24, "'two' is not a decimal number"),
    ("starts: 2026-12-01", "starts: 2026-12-41", 26, "'2026-12-41' is not a date"),
    ("ends: 2026-12-31", "ends: 2026-11-30", 26, "ends (2026-11-30) is before starts"),
    ("weekdays: [tue]", "weekdays: [tuesday]", 26, "unknown weekday 'tuesday'"),
    ("channels: [store]", "channels: [shop]", 26, "unknown channel 'shop'"),
    ('threshold: "1500"', 'threshold: "400"', 19, "must be above the previous tier's"),
    ('threshold: "1500"', 'threshold: "500"', 19, "thresholds must not overlap"),
    ('threshold: "0"', 'threshold: "10"', 17, "the lowest tier must have threshold 0"),
    ("code: survey", "code: base", 30, "duplicate rule code 'base' (first on line 22)"),
    ("code: gold", "code: silver", 19, "duplicate tier code 'silver' (first on line 18)"),
    ("currency: EUR", "currency: EURO", 3, "unknown currency 'EURO'"),
    ("timezone: Europe/Madrid", "timezone: Europe/Atlantis", 4, "unknown timezone"),
    ("min_tier: silver", "min_tier: platinum", 35, "unknown tier 'platinum'"),
    ("rounding: floor", "rounding: down", 7, "unknown rounding 'down'"),
    ("policy: rolling", "policy: forever", 9, "unknown expiry policy 'forever'"),
    ('min_amount: "100.00"', 'min_amount: "100.001"', 25, "more than 2 decimal places for EUR"),
    ("percent: 20,", "", 35, "rewards[2].percent: is required"),
    ("kind: cashback,", "kind: gift,", 36, "unknown reward kind 'gift'"),
    ("points_cost: 120", "points_cost: lots", 33, "'lots' is not a whole number"),
    ("pending_days: 14", "pending_days: 1.5", 6, "'1.5' is not a whole number"),
    ("event: survey_answered", "event: wedding", 30, "unknown event 'wedding'"),
    (
        "points: 300, referee_points",
        "points: 300, extra: 1, referee_points",
        29,
        "unknown key 'extra'",
    ),
    # Unknown keys at every level.
    ('name: "Club Sicmay"', 'name: "Club Sicmay"\n  colour: red', 3, "program.colour: unknown key"),
    ("    months: 12", "    months: 12\n    grace: 3", 11, "program.expiry.grace: unknown key"),
    ("window_months: 12}", "window_months: 12, reset: yes}", 14, "qualification.reset"),
    ("discount_percent: 5}", "discount_percent: 5, shiny: true}", 17, "levels[0].shiny: unknown"),
    ("fr: Or}", "fr: Or, de: Gold}", 19, "levels[2].name.de: unknown key 'de'"),
    ("levels:", "colours: [gold]\n  levels:", 16, "tiers.colours: unknown key"),
    ("voucher_valid_days: 30}", "voucher_valid_days: 30, gift_wrap: yes}", 33, "gift_wrap"),
    ("rewards:", "campaigns: []\nrewards:", 32, "campaigns: unknown key 'campaigns'"),
    # Not YAML at all.
    ("\nrules:", "\nrules: [", 22, "not valid YAML"),
]


@pytest.mark.parametrize(("old", "new", "line", "problem"), ERRORS)
def test_each_error_names_its_line_and_the_problem(example_text, old, new, line, problem):
    errors = errors_of(edit(example_text, old, new))

    assert any(
        error_line == line and problem in text and text.startswith(f"line {line}: ")
        for error_line, text in errors
    ), errors


def test_every_error_is_reported_not_just_the_first(example_text):
    text = edit(example_text, "currency: EUR", "currency: EURO")
    text = edit(text, "points: 1, per:", "points: -1, per:")
    text = edit(text, "min_tier: silver", "min_tier: platinum")

    errors = errors_of(text)

    assert [line for line, _ in errors] == [3, 22, 35]


def test_a_missing_section_is_reported():
    errors = errors_of('program: {name: X, point_value: "0.01"}\n')

    assert errors == [(1, "line 1: tiers: is required")]


def test_a_rule_kind_with_another_kinds_field_is_refused():
    text = (
        'program: {name: X, point_value: "0.01"}\ntiers: {levels: []}\n'
        'rules:\n  - {code: p, kind: promo_multiplier, multiplier: "2", points: 5}\n'
    )

    assert errors_of(text) == [
        (
            4,
            "line 4: rules[0].points: unknown key 'points' (allowed: code, kind, multiplier, "
            "starts, ends, weekdays, channels)",
        )
    ]


def test_anchors_and_aliases_are_refused():
    text = 'program: &p {name: X, point_value: "0.01"}\ntiers: {levels: []}\ncopy: *p\n'

    assert errors_of(text) == [(3, "line 3: anchors and aliases are not allowed")]


def test_an_empty_file_is_refused():
    assert errors_of("") == [(1, "line 1: the file is empty")]


def test_snapshot_data_is_held_to_the_same_rules(example_program):
    data = program_to_data(example_program)
    data["rules"][0]["points"] = -3

    with pytest.raises(ProgramInvalid) as refused:
        parse_program_data(data)

    assert [str(error) for error in refused.value.errors] == [
        "rules[0].points: must not be negative (got -3)"
    ]


def with_limit(text: str, limit: str = '"2000.00"') -> str:
    """The example with PROGRAM.md's optional limit, on line 8."""
    return edit(text, "  expiry:\n", f"  max_purchase_amount: {limit}\n  expiry:\n")


def test_max_purchase_amount_is_read_and_written_back(example_text):
    program = parse_program_text(with_limit(example_text))

    assert program.max_purchase_amount == Decimal("2000.00")
    assert program_to_data(program)["program"]["max_purchase_amount"] == "2000.00"
    assert 'max_purchase_amount: "2000.00"' in program_to_text(program)
    assert parse_program_text(program_to_text(program)) == program


def test_max_purchase_amount_is_optional(example_text):
    program = parse_program_text(example_text)

    assert program.max_purchase_amount is None
    assert "max_purchase_amount" not in program_to_data(program)["program"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('"0"', "must be greater than 0"),
        ('"-10"', "must not be negative"),
        ('"10.001"', "has more than 2 decimal places for EUR"),
        ('"1e5"', "is not a decimal number"),
        ('"10000000000"', "is too large"),
    ],
)
def test_max_purchase_amount_errors_name_the_line(example_text, value, problem):
    [(line, message)] = errors_of(with_limit(example_text, value))

    assert line == 8
    assert "program.max_purchase_amount" in message
    assert problem in message


def test_an_unknown_tier_benefit_is_refused_with_the_known_ones(example_text):
    text = edit(example_text, "benefits: [free_shipping]}", "benefits: [vip_lounge]}")
    ((line, message),) = errors_of(text)
    assert line is not None
    assert "unknown benefit 'vip_lounge'" in message
    assert "free_shipping" in message
