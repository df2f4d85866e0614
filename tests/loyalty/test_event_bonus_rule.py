import datetime

from loyalty.program_file import parse_program_text
from loyalty.scoring import event_bonus_rule


def test_event_bonus_rule_finds_the_rule_for_an_event(example_program):
    rule = event_bonus_rule(program=example_program, event="referral")

    assert rule is not None
    assert (rule.code, rule.points, rule.referee_points, rule.monthly_cap) == (
        "referral",
        300,
        150,
        5,
    )


def test_event_bonus_rule_is_none_for_an_event_without_a_rule(example_program):
    assert event_bonus_rule(program=example_program, event="profile_completed") is None


def test_event_bonus_rule_respects_its_window_in_the_program_timezone():
    program = parse_program_text(
        """
program: {name: T, timezone: Europe/Madrid, point_value: "0.01"}
tiers: {levels: []}
rules:
  - {code: xmas, kind: event_bonus, event: signup, points: 500,
     starts: 2026-12-01, ends: 2026-12-31}
  - {code: welcome, kind: event_bonus, event: signup, points: 100}
"""
    )
    first_day = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)
    before = datetime.datetime(2026, 11, 30, 22, 30, tzinfo=datetime.UTC)

    assert event_bonus_rule(program=program, event="signup", at=first_day).code == "xmas"
    assert event_bonus_rule(program=program, event="signup", at=before).code == "welcome"
