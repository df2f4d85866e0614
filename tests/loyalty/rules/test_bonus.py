"""rules.bonus: what the program gives for an event, keyed once per member."""

from loyalty.rules.bonus import event_bonus
from loyalty.rules.months import months_after
from tests.loyalty.rules.conftest import NOW, program_with


def test_the_signup_bonus_is_the_rule_s_points_keyed_once_with_its_snapshot():
    program = program_with(signup_bonus=True)

    bonus = event_bonus(program=program, event="signup", at=NOW)

    assert (bonus.points, bonus.bonus_key, bonus.earned_at) == (100, "signup:once", NOW)
    assert bonus.breakdown == [
        {"part": "event", "code": "welcome", "event": "signup", "points": 100}
    ]
    assert bonus.expires_at == months_after(NOW, 12, zone=program.zone)


def test_given_points_replace_the_rule_s_and_a_key_names_the_source():
    program = program_with(signup_bonus=True)

    bonus = event_bonus(program=program, event="signup", at=NOW, source_key="2026", points=7)

    assert (bonus.points, bonus.bonus_key) == (7, "signup:2026")
    assert event_bonus(program=program, event="signup", at=NOW, points=0) is None


def test_no_rule_for_the_event_gives_nothing():
    assert event_bonus(program=program_with(signup_bonus=False), event="signup", at=NOW) is None
