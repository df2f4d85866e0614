"""`program_import`: all or nothing, versions, rewards kept, and what the diff reports."""

import pytest

from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from loyalty.program_file import (
    ProgramInvalid,
    parse_program_text,
    program_to_data,
    program_to_text,
)
from loyalty.program_hooks import rewards_handler_register
from loyalty.selectors.program import (
    program_definition_current,
    program_diff_for_text,
    program_export_text,
)
from loyalty.services.program import program_import

pytestmark = pytest.mark.django_db


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


def test_importing_the_example_creates_the_program_and_version_1(imported_version, example_program):
    assert imported_version.number == 1
    assert imported_version.snapshot == program_to_data(example_program)
    assert imported_version.definition == example_program
    assert Program.objects.get().name == "Club Sicmay"
    assert list(Tier.objects.in_force().values_list("code", flat=True)) == [
        "bronze",
        "silver",
        "gold",
    ]
    assert EarningRule.objects.in_force().count() == 9
    assert program_definition_current() == example_program


def test_export_after_import_round_trips_to_the_same_text(imported_version, example_program):
    exported = program_export_text()

    result = program_import(text=exported)

    assert exported == program_to_text(example_program)
    assert program_export_text() == exported
    assert result.is_new_version is False
    assert ProgramVersion.objects.count() == 1


def test_import_of_a_changed_file_publishes_a_new_version(imported_version, example_text):
    text = edit(example_text, "points: 1, per:", "points: 2, per:")

    result = program_import(text=text, note="double base")

    assert result.is_new_version is True
    assert result.version.number == 2
    assert result.version.note == "double base"
    assert result.changes == ["rule changed: base: points 1 -> 2"]
    assert EarningRule.objects.get(code="base").points == 2


def test_a_file_with_an_error_after_valid_changes_changes_nothing(imported_version, example_text):
    text = edit(example_text, "points: 1, per:", "points: 2, per:")  # valid change first
    text = edit(text, 'name: "Club Sicmay"', 'name: "Club Nuevo"')
    text = edit(text, "min_tier: gold", "min_tier: diamond")  # error at the very end

    with pytest.raises(ProgramInvalid) as refused:
        program_import(text=text)

    assert [error.line for error in refused.value.errors] == [37]
    assert Program.objects.get().name == "Club Sicmay"
    assert EarningRule.objects.get(code="base").points == 1
    assert ProgramVersion.objects.count() == 1


def test_a_refused_first_import_leaves_no_program_and_no_version(example_text):
    text = edit(example_text, "kind: per_item,", "kind: per_bottle,")

    with pytest.raises(ProgramInvalid):
        program_import(text=text)

    assert not Program.objects.exists()
    assert not Tier.objects.exists()
    assert not EarningRule.objects.exists()
    assert not ProgramVersion.objects.exists()


def test_rules_and_tiers_left_out_no_longer_apply_but_old_versions_keep_them(
    imported_version, example_text
):
    text = edit(
        example_text,
        '  - {code: tuesdays, kind: promo_multiplier, multiplier: "2", starts: 2026-12-01, '
        "ends: 2026-12-31, weekdays: [tue], channels: [store]}\n",
        "",
    )

    result = program_import(text=text)

    assert result.changes == ["rule removed: tuesdays"]
    assert not EarningRule.objects.get(code="tuesdays").is_active
    assert result.version.definition.rule("tuesdays") is None
    old = ProgramVersion.objects.get(number=1)
    assert old.definition.rule("tuesdays") is not None
    assert old.snapshot == imported_version.snapshot


def test_rewards_left_out_of_the_file_are_kept_with_their_stock(imported_version, example_text):
    text = edit(example_text, "stock: 30,", "stock: 5,")  # stock is only set on creation
    start = text.index("\nrewards:")
    text = text[:start] + "\nrewards:\n" + text[text.index("  - {code: tasting-dec") :]

    program_import(text=text)

    rewards = {reward.code: reward for reward in program_definition_current().rewards}
    assert set(rewards) == {"free-bottle", "ten-off", "loyal20", "cashback-5", "tasting-dec"}
    assert rewards["tasting-dec"].stock == 30


def test_a_registered_rewards_handler_receives_the_rewards_in_the_transaction(
    db, example_text, example_program
):
    catalog: list[dict] = []

    def import_rewards(*, rewards, actor):
        catalog[:] = program_to_data(parse_program_text(example_text))["rewards"]
        assert [reward.code for reward in rewards] == [r.code for r in example_program.rewards]

    rewards_handler_register(import_rewards=import_rewards, export_rewards=lambda: catalog)

    version = program_import(text=example_text).version

    assert version.definition.rewards == example_program.rewards
    assert not Program.objects.get().reward_catalog  # the rewards app owns the catalog


def test_a_failing_rewards_handler_aborts_the_whole_import(db, example_text):
    def import_rewards(*, rewards, actor):
        raise RuntimeError("catalog unavailable")

    rewards_handler_register(import_rewards=import_rewards, export_rewards=list)

    with pytest.raises(RuntimeError):
        program_import(text=example_text)

    assert not Program.objects.exists()
    assert not ProgramVersion.objects.exists()


def test_diff_lists_what_import_would_change_and_changes_nothing(imported_version, example_text):
    text = edit(example_text, 'name: "Club Sicmay"', 'name: "Club Nuevo"')
    text = edit(text, 'multiplier: "1.25"', 'multiplier: "1.3"')
    text = edit(
        text, "  - {code: survey, kind: event_bonus, event: survey_answered, points: 20}\n", ""
    )
    text = edit(
        text,
        "  - {code: welcome,",
        "  - {code: profile, kind: event_bonus, event: profile_completed, points: 25}\n"
        "  - {code: welcome,",
    )

    changes = program_diff_for_text(text=text)

    assert changes == [
        "program.name: Club Sicmay -> Club Nuevo",
        'tier changed: silver: multiplier "1.25" -> "1.3"',
        "rule added: profile {kind: event_bonus, event: profile_completed, points: 25}",
        "rule removed: survey",
    ]
    assert ProgramVersion.objects.count() == 1
    assert Program.objects.get().name == "Club Sicmay"


def test_diff_of_the_current_export_is_empty(imported_version):
    assert program_diff_for_text(text=program_export_text()) == []


def test_diff_reports_reordered_rules(imported_version, example_text):
    bottle = "  - {code: bottle, kind: per_item, points: 1, category: wine}\n"
    text = edit(example_text, bottle, "")
    text = edit(text, "  - {code: welcome,", bottle + "  - {code: welcome,")

    assert program_diff_for_text(text=text) == [
        "rules reordered: base, wine_double, big_basket, tuesdays, bottle, welcome, birthday, "
        "referral, survey"
    ]
