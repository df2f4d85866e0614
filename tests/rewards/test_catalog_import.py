"""The program file's `rewards:` section writes the catalog (loyalty.program_hooks)."""

from decimal import Decimal

import pytest

from loyalty.models import ProgramVersion
from loyalty.program_file import ProgramInvalid
from loyalty.selectors.program import program_export_text
from loyalty.services.program import program_import
from rewards.models import Reward, RewardKind
from tests.factories.loyalty import example_program_text


def _with_rewards(lines: str) -> str:
    text = example_program_text()
    return text[: text.index("\nrewards:")] + "\nrewards:\n" + lines


def test_the_program_md_example_imports_its_five_rewards(program):
    rewards = {reward.code: reward for reward in Reward.objects.all()}

    assert set(rewards) == {"free-bottle", "ten-off", "loyal20", "cashback-5", "tasting-dec"}
    bottle = rewards["free-bottle"]
    assert (bottle.kind, bottle.sku, bottle.voucher_valid_days) == (
        RewardKind.FREE_PRODUCT,
        "VINO-TINTO-75",
        30,
    )
    assert bottle.name_es == "Una botella de tinto de la casa"
    assert rewards["ten-off"].amount == Decimal("10.00")
    assert rewards["ten-off"].per_member_limit == 3
    assert rewards["loyal20"].percent == 20
    assert rewards["loyal20"].min_tier == "silver"
    assert rewards["cashback-5"].stock is None  # unlimited
    assert rewards["cashback-5"].voucher_valid_days == 90  # the default
    tasting = rewards["tasting-dec"]
    assert (tasting.kind, tasting.stock, tasting.min_tier) == (RewardKind.EVENT, 30, "gold")
    assert str(tasting.available_from) == "2026-12-01"
    assert str(tasting.available_until) == "2026-12-18"


def test_import_updates_rewards_by_code_but_sets_stock_only_on_creation(program):
    Reward.objects.filter(code="tasting-dec").update(stock=12)  # 18 seats taken since

    program_import(
        text=example_program_text()
        .replace("points_cost: 800, stock: 30", "points_cost: 900, stock: 50")
        .replace("Cata para socios", "Cata de socios"),
        note="price up",
    )

    tasting = Reward.objects.get(code="tasting-dec")
    assert tasting.points_cost == 900
    assert tasting.name_es == "Cata de socios"
    assert tasting.stock == 12


def test_import_never_deletes_a_reward_left_out_of_the_file(program):
    program_import(
        text=_with_rewards(
            '  - {code: new-one, kind: cashback, amount: "2.00", name: {en: 2 EUR}, '
            "points_cost: 200, stock: 5, description: {en: Two euros, fr: Deux euros}}\n"
        ),
        note="only one",
    )

    assert Reward.objects.count() == 6
    new = Reward.objects.get(code="new-one")
    assert (new.stock, new.description_en, new.description_fr) == (5, "Two euros", "Deux euros")


def test_export_writes_the_catalog_with_its_stock(program):
    Reward.objects.filter(code="tasting-dec").update(stock=29)

    text = program_export_text()

    assert "  - {code: free-bottle, kind: free_product" in text
    assert "stock: 29" in text
    exported = text[text.index("\nrewards:") :]
    for code in ("free-bottle", "ten-off", "loyal20", "cashback-5", "tasting-dec"):
        assert f"code: {code}," in exported


def test_export_then_import_changes_nothing(program):
    versions = ProgramVersion.objects.count()

    result = program_import(text=program_export_text(), note="round trip")

    assert result.changes == []
    assert not result.is_new_version
    assert ProgramVersion.objects.count() == versions


def test_a_published_version_carries_the_catalog(program):
    rewards = {reward.code for reward in program.definition.rewards}

    assert rewards == {"free-bottle", "ten-off", "loyal20", "cashback-5", "tasting-dec"}


def test_an_invalid_reward_refuses_the_whole_import_and_changes_nothing(program):
    before = list(Reward.objects.values_list("code", "points_cost"))

    with pytest.raises(ProgramInvalid, match="unknown tier 'platinum'"):
        program_import(
            text=example_program_text().replace(
                "points_cost: 120, sku", "points_cost: 1, min_tier: platinum, sku"
            )
        )

    assert list(Reward.objects.values_list("code", "points_cost")) == before
