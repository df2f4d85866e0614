"""The rules' vocabulary (campaigns.segment_rules): every field and operator of CAMPAIGNS.md,
and each refusal at the rule's path with its reason, in the reader's language."""

import pytest

from analytics.models import ChurnRisk
from campaigns.segment_rules import (
    CHURN_RISKS,
    FIELDS,
    OPERATORS,
    SegmentInvalid,
    rules_validate,
)
from loyalty.channels import CHANNELS

TIERS = ["bronze", "silver", "gold"]


def validate(rules, match="all"):
    return rules_validate(match=match, rules=rules, tier_codes=TIERS)


def refusal(rules, match="all", language="en") -> dict[str, list[str]]:
    with pytest.raises(SegmentInvalid) as caught:
        validate(rules, match)
    return caught.value.errors(language)


def test_the_vocabulary_is_the_spec_table():
    assert set(FIELDS) == {
        "tier",
        "available_points",
        "lifetime_points",
        "days_since_last_purchase",
        "purchases",
        "spend",
        "average_order_value",
        "days_since_joined",
        "birthday_month",
        "language",
        "consent",
        "channel",
        "category",
        "rfm_group",
        "churn_risk",
    }
    assert OPERATORS == ("eq", "ne", "in", "not_in", "gte", "lte", "between")
    assert set(CHURN_RISKS) == set(ChurnRisk.values)
    assert set(FIELDS["channel"].codes) == CHANNELS
    windowed = {name for name, field in FIELDS.items() if field.takes_window}
    assert windowed == {"purchases", "spend", "average_order_value", "channel", "category"}


def test_the_spec_example_is_valid_and_kept_as_written():
    rules = [
        {"field": "tier", "op": "in", "value": ["silver", "gold"]},
        {"field": "days_since_last_purchase", "op": "gte", "value": 90},
        {"field": "purchases", "op": "gte", "value": 2, "window_days": 365},
        {"field": "consent", "op": "eq", "value": "email"},
    ]
    assert validate(rules) == ("all", rules)


def test_money_values_are_decimal_strings_and_lists_lose_repeats():
    match, rules = validate(
        [
            {"field": "spend", "op": "between", "value": ["10", "250.50"], "window_days": 30},
            {"field": "language", "op": "in", "value": ["es", "fr", "es"]},
            {"field": "birthday_month", "op": "eq", "value": "current"},
            {"field": "category", "op": "not_in", "value": ["wine", "cheese"]},
            {"field": "rfm_group", "op": "in", "value": ["champions", "inactive"]},
        ],
        match="any",
    )
    assert match == "any"
    assert rules[0]["value"] == ["10", "250.50"]
    assert rules[1]["value"] == ["es", "fr"]


@pytest.mark.parametrize(
    ("rule", "path", "reason"),
    [
        ({"field": "points", "op": "eq", "value": 1}, "rules.0.field", "Unknown field"),
        ({"field": "tier", "op": "like", "value": "gold"}, "rules.0.op", "Unknown operator"),
        ({"field": "tier", "op": "gte", "value": "gold"}, "rules.0.op", "tier takes only eq"),
        ({"field": "tier", "op": "eq", "value": "platinum"}, "rules.0.value", "No tier"),
        ({"field": "tier", "op": "in", "value": ["gold", "x"]}, "rules.0.value.1", "No tier"),
        ({"field": "tier", "op": "in", "value": "gold"}, "rules.0.value", "a list"),
        ({"field": "tier", "op": "in", "value": []}, "rules.0.value", "a list"),
        ({"field": "tier", "op": "eq", "value": ["gold"]}, "rules.0.value", "not a list"),
        ({"field": "purchases", "op": "gte", "value": -1}, "rules.0.value", "whole number"),
        ({"field": "purchases", "op": "gte", "value": 1.5}, "rules.0.value", "whole number"),
        ({"field": "purchases", "op": "gte", "value": True}, "rules.0.value", "whole number"),
        ({"field": "purchases", "op": "gte", "value": "2"}, "rules.0.value", "whole number"),
        ({"field": "spend", "op": "gte", "value": 25}, "rules.0.value", "decimal string"),
        ({"field": "spend", "op": "gte", "value": "1e5"}, "rules.0.value", "decimal string"),
        ({"field": "spend", "op": "gte", "value": "-5"}, "rules.0.value", "decimal string"),
        ({"field": "spend", "op": "gte", "value": "1.12345"}, "rules.0.value", "4 decimals"),
        ({"field": "spend", "op": "between", "value": ["5"]}, "rules.0.value", "two values"),
        ({"field": "spend", "op": "between", "value": ["9", "5"]}, "rules.0.value", "above"),
        ({"field": "birthday_month", "op": "eq", "value": 13}, "rules.0.value", "1 to 12"),
        ({"field": "birthday_month", "op": "gte", "value": 3}, "rules.0.op", "takes only"),
        ({"field": "language", "op": "eq", "value": "de"}, "rules.0.value", "en, es, fr"),
        ({"field": "consent", "op": "eq", "value": "mail"}, "rules.0.value", "email, sms, push"),
        ({"field": "channel", "op": "eq", "value": "phone"}, "rules.0.value", "app, online"),
        ({"field": "category", "op": "eq", "value": "no spaces"}, "rules.0.value", "category"),
        ({"field": "rfm_group", "op": "eq", "value": "vip"}, "rules.0.value", "champions"),
        ({"field": "churn_risk", "op": "eq", "value": "none"}, "rules.0.value", "low"),
        (
            {"field": "tier", "op": "eq", "value": "gold", "window_days": 30},
            "rules.0.window_days",
            "Only purchases",
        ),
        (
            {"field": "purchases", "op": "gte", "value": 1, "window_days": 0},
            "rules.0.window_days",
            "from 1",
        ),
        ({"field": "tier", "op": "eq"}, "rules.0.value", "needs a value"),
        ({"field": "tier", "op": "eq", "value": "gold", "extra": 1}, "rules.0.extra", "no such"),
        ("tier", "rules.0", "an object"),
    ],
)
def test_a_bad_rule_is_refused_at_its_path_with_the_reason(rule, path, reason):
    errors = refusal([rule])
    assert path in errors, errors
    assert reason in " ".join(errors[path])


def test_every_problem_is_named_counting_rules_from_zero():
    errors = refusal(
        [
            {"field": "tier", "op": "in", "value": ["gold"]},
            {"field": "purchases", "op": "gte", "value": 1},
            {"field": "tier", "op": "gte", "value": "gold"},
            {"field": "nope", "op": "eq", "value": 1},
        ],
        match="some",
    )
    assert set(errors) == {"match", "rules.2.op", "rules.3.field"}


def test_rules_must_be_a_list_of_at_most_fifty():
    assert "rules" in refusal({"field": "tier"})
    assert "rules" in refusal([{"field": "language", "op": "eq", "value": "en"}] * 51)


def test_no_rule_is_every_member():
    assert validate([]) == ("all", [])


def test_tiers_are_those_of_the_program_in_force():
    with pytest.raises(SegmentInvalid) as caught:
        rules_validate(
            match="all", rules=[{"field": "tier", "op": "eq", "value": "gold"}], tier_codes=[]
        )
    assert "No tier of the program has this code" in caught.value.errors("en")["rules.0.value"][0]


@pytest.mark.parametrize(
    ("language", "words"),
    [("es", "Operador desconocido"), ("fr", "Opérateur inconnu")],
)
def test_the_reasons_are_translated(language, words):
    errors = refusal([{"field": "tier", "op": "like", "value": "gold"}], language=language)
    assert words in errors["rules.0.op"][0]
