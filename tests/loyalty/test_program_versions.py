"""Program versions: one per change, immutable, and the one in force at a time."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from loyalty.models.program import ImmutableVersion
from loyalty.program_file import ProgramInvalid
from loyalty.scoring import Item, score_purchase
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.services.program import (
    earning_rule_delete,
    earning_rule_save,
    program_import,
    program_publish,
    program_settings_save,
    tier_save,
)
from tests.factories.loyalty import EarningRuleFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
T1 = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
T2 = datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T3 = datetime.datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def three_versions(example_text):
    with time_machine.travel(T1, tick=False):
        program_import(text=example_text)
    with time_machine.travel(T2, tick=False):
        program_import(text=example_text.replace("points: 1, per:", "points: 2, per:"))
    with time_machine.travel(T3, tick=False):
        program_import(text=example_text.replace("points: 1, per:", "points: 3, per:"))
    return {version.number: version for version in ProgramVersion.objects.all()}


@pytest.mark.parametrize(
    ("at", "number"),
    [
        (T1 - datetime.timedelta(days=30), 1),  # before any version: the first
        (T1, 1),  # exactly at creation
        (T2 - datetime.timedelta(seconds=1), 1),
        (T2, 2),
        (T3 - datetime.timedelta(days=1), 2),
        (T3 + datetime.timedelta(days=365), 3),
    ],
)
def test_version_at_is_the_latest_created_at_or_before(three_versions, at, number):
    assert program_version_at(at=at).number == number


def test_version_at_without_any_version_says_so(db):
    with pytest.raises(ProgramNotConfigured):
        program_version_at(at=T1)


def test_version_at_refuses_a_naive_time(three_versions):
    with pytest.raises(ValueError, match="aware"):
        program_version_at(at=datetime.datetime(2026, 1, 1))  # noqa: DTZ001


def test_old_versions_keep_scoring_as_they_did(three_versions):
    def points(version):
        return score_purchase(
            program=version.definition,
            tier_code="bronze",
            amount=Decimal("10.00"),
            items=[Item(sku="X", category="food", quantity=1, unit_price=Decimal("10.00"))],
            purchased_at=T1,
            channel="store",
        ).points

    assert [points(three_versions[number]) for number in (1, 2, 3)] == [10, 20, 30]
    assert three_versions[1].snapshot["rules"][0]["points"] == 1


def test_a_version_is_never_updated_or_deleted(three_versions):
    version = three_versions[1]
    version.note = "rewritten"

    with pytest.raises(ImmutableVersion):
        version.save()
    with pytest.raises(ImmutableVersion):
        version.delete()
    with pytest.raises(ImmutableVersion):
        ProgramVersion.objects.filter(pk=version.pk).update(note="rewritten")
    with pytest.raises(ImmutableVersion):
        ProgramVersion.objects.all().delete()
    assert ProgramVersion.objects.get(pk=version.pk).note == "program import"


def test_a_parsed_snapshot_is_cached_per_version(three_versions):
    version = ProgramVersion.objects.get(number=2)

    first = version.definition
    again = ProgramVersion.objects.get(number=2).definition

    assert first is again


def test_publishing_without_a_change_creates_no_version(imported_version):
    assert program_publish(note="nothing") == imported_version
    assert ProgramVersion.objects.count() == 1


def test_publishing_records_the_author_and_what_changed(imported_version, staff_user):
    EarningRule.objects.filter(code="survey").update(points=40)

    version = program_publish(actor=staff_user, note="survey bonus up")

    assert (version.number, version.created_by, version.note) == (2, staff_user, "survey bonus up")
    assert version.changes == ["rule changed: survey: points 20 -> 40"]


def test_saving_a_rule_publishes_a_version(imported_version, staff_user):
    rule = EarningRuleFactory.build(
        code="double_app",
        kind="promo_multiplier",
        points=None,
        per=None,
        multiplier=Decimal("2"),
        channels=["app"],
        position=99,
    )

    version = earning_rule_save(actor=staff_user, rule=rule)

    assert version.number == 2
    assert version.definition.rule("double_app").channels == ("app",)
    assert version.changes == [
        'rule added: double_app {kind: promo_multiplier, multiplier: "2", channels: [app]}'
    ]


def test_saving_an_invalid_rule_writes_nothing(imported_version, staff_user):
    rule = EarningRule.objects.get(code="base")
    rule.per = None

    with pytest.raises(ProgramInvalid) as refused:
        earning_rule_save(actor=staff_user, rule=rule)

    assert [str(error) for error in refused.value.errors] == ["rules[0].per: is required"]
    assert EarningRule.objects.get(code="base").per == Decimal("1.00")
    assert ProgramVersion.objects.count() == 1


def test_deleting_a_rule_publishes_a_version_without_it(imported_version, staff_user):
    version = earning_rule_delete(actor=staff_user, rule=EarningRule.objects.get(code="survey"))

    assert version.definition.rule("survey") is None
    assert imported_version.definition.rule("survey") is not None


def test_a_tier_that_would_overlap_is_refused(imported_version, staff_user):
    tier = Tier.objects.get(code="gold")
    tier.threshold = Decimal(500)

    with pytest.raises(ProgramInvalid, match="must not overlap"):
        tier_save(actor=staff_user, tier=tier)

    assert Tier.objects.get(code="gold").threshold == Decimal(1500)


def test_changing_the_settings_publishes_a_version(imported_version, staff_user):
    program = imported_version.definition  # untouched by the edit below
    settings_row = Program.objects.get()
    settings_row.rounding = "ceil"

    version = program_settings_save(actor=staff_user, program=settings_row)

    assert version.changes == ["program.rounding: floor -> ceil"]
    assert version.definition.rounding == "ceil"
    assert program.rounding == "floor"
