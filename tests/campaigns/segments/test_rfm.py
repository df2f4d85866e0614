"""RFM groups exactly by CAMPAIGNS.md: scores 1 + floor(5 x strictly lower / scored), ties
sharing a score, over the last 365 days' counted purchases; the groups in their order.

The fixture, hand-computed: ten members scored, so a score is 1 + floor(lower / 2).

    member  last purchase  purchases  lower R  R  lower F  F  group
    a       300 days ago   1          0        1  0        1  lost
    b       250            2          1        1  5        3  at_risk   (R <= 2, F >= 3)
    c       200 (tie d)    3          2        2  7        4  at_risk
    d       200 (tie c)    1          2        2  0        1  hibernating
    e       150            3          4        3  7        4  loyal     (F >= 3)
    f       100            1          5        3  0        1  hibernating
    g       50             2          6        4  5        3  loyal     (F = 3: not champions)
    h       30             1          7        4  0        1  recent
    i       10 (tie j)     4          8        5  9        5  champions
    j       10 (tie i)     1          8        5  0        1  recent

Inactive: k (a purchase 400 days ago), l (none), m (only a fully refunded purchase).
"""

import pytest

from campaigns.segment_query import rfm_groups_all, rfm_groups_for, segment_queryset
from tests.campaigns.segments.conftest import buy, days_ago, member

pytestmark = pytest.mark.django_db

SCORED = {
    # name: (days since the last purchase, purchases in the window), expected group
    "a": ((300, 1), "lost"),
    "b": ((250, 2), "at_risk"),
    "c": ((200, 3), "at_risk"),
    "d": ((200, 1), "hibernating"),
    "e": ((150, 3), "loyal"),
    "f": ((100, 1), "hibernating"),
    "g": ((50, 2), "loyal"),
    "h": ((30, 1), "recent"),
    "i": ((10, 3), "champions"),  # and one partly refunded purchase: 4
    "j": ((10, 1), "recent"),
}


@pytest.fixture
def members(moment):
    made = {}
    for name, ((last, count), _) in SCORED.items():
        made[name] = member(first_name=name)
        # The last purchase at noon `last` days ago (ties are the same instant), the others
        # on the days before it, all inside the window.
        for n in range(count):
            buy(made[name], days_ago(last + n))
    made["k"] = member(first_name="k")
    buy(made["k"], days_ago(400))
    made["l"] = member(first_name="l")
    made["m"] = member(first_name="m")
    buy(made["m"], days_ago(20), "25.00", refund="25.00")
    # A partly refunded purchase still counts: i's oldest keeps F at 5.
    buy(made["i"], days_ago(14), "30.00", refund="20.00")
    return made


def groups(moment, op, value) -> set:
    rules = [{"field": "rfm_group", "op": op, "value": value}]
    members = segment_queryset(match="all", rules=rules, moment=moment)
    return set(members.values_list("user__first_name", flat=True))


def test_each_member_is_in_the_hand_computed_group(members, moment):
    found = rfm_groups_for(member_ids=[m.pk for m in members.values()], moment=moment)
    by_name = {name: found[m.pk] for name, m in members.items()}
    expected = {name: group for name, (_, group) in SCORED.items()}
    assert by_name == expected | {"k": "inactive", "l": "inactive", "m": "inactive"}
    assert rfm_groups_all(moment=moment) == {
        members[name].pk: group for name, (_, group) in SCORED.items()
    }


def test_rules_select_by_group(members, moment):
    assert groups(moment, "eq", "champions") == {"i"}
    assert groups(moment, "in", ["at_risk", "lost"]) == {"a", "b", "c"}
    assert groups(moment, "eq", "inactive") == {"k", "l", "m"}
    assert groups(moment, "in", ["recent", "inactive"]) == {"h", "j", "k", "l", "m"}
    assert groups(moment, "not_in", ["loyal", "hibernating", "inactive"]) == {
        "a",
        "b",
        "c",
        "h",
        "i",
        "j",
    }
    assert groups(moment, "ne", "inactive") == set(SCORED)
