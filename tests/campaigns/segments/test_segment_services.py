"""segment_create / update / delete validate before writing; the selectors count and list as of
now; the CSV export is Excel-safe."""

import csv
import io

import pytest

from campaigns.exports import SEGMENT_MEMBER_COLUMNS, segment_members_csv
from campaigns.models import Segment
from campaigns.segment_rules import SegmentInvalid
from campaigns.selectors.segments import segment_count, segment_members
from campaigns.services.segments import (
    SegmentExists,
    segment_create,
    segment_delete,
    segment_update,
)
from tests.campaigns.segments.conftest import buy, days_ago, member

pytestmark = pytest.mark.django_db

SPANISH = [{"field": "language", "op": "eq", "value": "es"}]


def create(code="spanish", rules=SPANISH, **fields):
    fields.setdefault("names", {"en": "Spanish speakers", "es": "Hispanohablantes"})
    return segment_create(code=code, match=fields.pop("match", "all"), rules=rules, **fields)


def test_create_keeps_the_names_per_language_and_the_author(program, staff_user):
    segment = create(actor=staff_user)

    assert segment.names == {"en": "Spanish speakers", "es": "Hispanohablantes"}
    assert segment.localized_name("fr") == "Spanish speakers"
    assert segment.created_by == staff_user


def test_create_refuses_everything_wrong_at_once_and_writes_nothing(program):
    with pytest.raises(SegmentInvalid) as caught:
        segment_create(
            code="-bad",
            names={"de": "Spanisch"},
            match="most",
            rules=[{"field": "tier", "op": "eq", "value": "diamond"}],
        )
    assert set(caught.value.errors("en")) == {
        "code",
        "name.de",
        "match",
        "rules.0.value",
    }
    assert not Segment.objects.exists()


def test_a_taken_code_is_refused(program):
    create()
    with pytest.raises(SegmentExists):
        create(rules=[])
    assert Segment.objects.get().rules == SPANISH


def test_update_replaces_name_match_and_rules_and_refuses_bad_ones(program):
    segment = create()
    rules = [{"field": "purchases", "op": "gte", "value": 1, "window_days": 30}]

    updated = segment_update(segment=segment, names={"en": "Buyers"}, match="any", rules=rules)
    assert (updated.name_en, updated.name_es, updated.match, updated.rules) == (
        "Buyers",
        "",
        "any",
        rules,
    )

    with pytest.raises(SegmentInvalid):
        segment_update(segment=segment, names={"en": "x"}, match="all", rules=[{"field": "x"}])
    segment.refresh_from_db()
    assert segment.rules == rules


def test_delete(program):
    segment = create()
    segment_delete(segment=segment)
    assert not Segment.objects.exists()


def test_count_is_one_query_and_members_are_in_enrolment_order(moment, django_assert_num_queries):
    first = member(first_name="First", language="es")
    member(first_name="English")
    second = member(first_name="Second", language="es")
    segment = create()

    with django_assert_num_queries(1):
        assert segment_count(segment=segment, moment=moment) == 2
    assert list(segment_members(segment=segment, moment=moment)) == [first, second]


def test_the_csv_has_the_members_with_their_group_and_neutralises_formulas(program):
    sly = member(first_name='=HYPERLINK("http://x")', language="es")
    buy(sly, days_ago(0))
    member(first_name="Plain", language="es")
    segment = create()

    rows = list(csv.reader(io.StringIO("".join(segment_members_csv(segment=segment)))))

    assert tuple(rows[0]) == SEGMENT_MEMBER_COLUMNS
    by_name = {row[2]: row for row in rows[1:]}
    assert set(by_name) == {'\'=HYPERLINK("http://x")', "Plain"}
    assert by_name["Plain"][-1] == "inactive"
    assert by_name['\'=HYPERLINK("http://x")'][-1] == "lost"  # the only member scored
    assert by_name["Plain"][5] == "bronze"
