"""Writing the catalog: from the program file (`program import`) and from the admin, both held to
the program file's validation (loyalty.program_file), so a reward the file would refuse cannot be
saved in the admin either."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from loyalty.definition import NAME_LANGUAGES, RewardDefinition
from loyalty.program_file import ProgramError, ProgramInvalid, parse_program_data, program_to_data
from loyalty.selectors.program import program_definition_current
from loyalty.services.program import program_publish
from rewards.models import Reward
from rewards.selectors import reward_to_data

# Reward fields the file sets; `stock` only when it creates the reward (PROGRAM.md).
_FILE_FIELDS = (
    "kind",
    "points_cost",
    "percent",
    "amount",
    "sku",
    "min_tier",
    "per_member_limit",
    "available_from",
    "available_until",
    "voucher_valid_days",
)


def reward_catalog_import(*, rewards: tuple[RewardDefinition, ...], actor=None) -> None:
    """The program-file hook (loyalty.program_hooks): create or update each reward by code, never
    delete one, set stock only on creation. Runs inside the import's transaction."""
    existing = {
        reward.code: reward
        for reward in Reward.objects.select_for_update().filter(
            code__in=[definition.code for definition in rewards]
        )
    }
    for definition in rewards:
        reward = existing.get(definition.code)
        if reward is None:
            reward = Reward(code=definition.code, stock=definition.stock)
        _apply(reward, definition)
        reward.save()


def _apply(reward: Reward, definition: RewardDefinition) -> None:
    for field in _FILE_FIELDS:
        value = getattr(definition, field)
        if field in ("sku", "min_tier"):
            value = value or ""
        setattr(reward, field, value)
    for language in NAME_LANGUAGES:
        setattr(reward, f"name_{language}", definition.name.get(language, ""))
    description = definition.description
    if not isinstance(description, dict):
        description = {"en": description} if description else {}
    for language in NAME_LANGUAGES:
        setattr(reward, f"description_{language}", description.get(language, ""))
    # The file names an image already in storage (as `program export` writes it).
    reward.image.name = definition.image or ""


# --- The admin -----------------------------------------------------------------------------------


def reward_check(*, reward: Reward) -> list[ProgramError]:
    """The errors the program file would report for the program with `reward` saved (unsaved
    instances included). Each error's path is ("rewards", index, field, ...)."""
    program = program_definition_current()
    if program is None:
        return [ProgramError("import or create the program first")]
    data = program_to_data(program)
    rewards = [item for item in data["rewards"] if item["code"] != reward.code]
    if reward.pk is not None:
        stored = Reward.objects.filter(pk=reward.pk).values_list("code", flat=True).first()
        rewards = [item for item in rewards if item["code"] != stored]
    candidate: dict[str, Any] = reward_to_data(reward, currency=program.currency)
    data["rewards"] = [*rewards, candidate]
    try:
        parse_program_data(data)
    except ProgramInvalid as invalid:
        index = len(rewards)
        return [
            error
            for error in invalid.errors
            if error.path[:2] == ("rewards", index) or error.path[:1] != ("rewards",)
        ]
    return []


class RewardInvalid(Exception):
    def __init__(self, errors: list[ProgramError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


def reward_save(*, reward: Reward, actor=None, note: str = "") -> Reward:
    """Validate like the file, save, and publish a program version (the catalog is part of it).
    Raises RewardInvalid."""

    with transaction.atomic():
        errors = reward_check(reward=reward)
        if errors:
            raise RewardInvalid(errors)
        reward.save()
        program_publish(actor=actor, note=note or f"reward {reward.code} saved")
    return reward
