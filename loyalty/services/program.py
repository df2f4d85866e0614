"""Writes to the program. Each change is validated as a whole program with the file validator
before anything is written, and publishes a new `ProgramVersion` in the same transaction.

Concurrent changes are serialized by locking the program row, so versions are numbered in the
order their changes were made and each snapshot is the state its change produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from loyalty.definition import ProgramDefinition
from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from loyalty.models.program import PROGRAM_PK
from loyalty.models.shop import shop_frame_forget
from loyalty.program_diff import program_changes
from loyalty.program_file import ProgramInvalid, program_to_data
from loyalty.program_hooks import rewards_handler
from loyalty.selectors.program import (
    ProgramNotConfigured,
    program_change_check,
    program_definition_current,
    program_definition_for_import,
    program_version_latest,
)

NOTE_MAX_LENGTH = 500


@dataclass(frozen=True)
class ProgramImport:
    version: ProgramVersion
    changes: list[str]
    is_new_version: bool


def program_publish(*, actor: Any = None, note: str = "") -> ProgramVersion:
    """Snapshot the editable program as a new version. When nothing changed since the latest
    version, that version is returned and none is created: a version is a change."""
    with transaction.atomic():
        if _program_lock() is None:
            raise ProgramNotConfigured("there is no program to publish")
        definition = program_definition_current()
        if definition is None:  # pragma: no cover - the row was just locked
            raise ProgramNotConfigured("there is no program to publish")
        snapshot = program_to_data(definition)
        latest = program_version_latest()
        # Compared as definitions, not as snapshots: a snapshot written before a setting existed
        # (communications) reads as its default, and is the same program.
        if latest is not None and latest.definition == definition:
            return latest
        # The program's name may have changed: forget the page frame now, and again once
        # committed (a page read in between would have remembered the old one).
        shop_frame_forget()
        transaction.on_commit(shop_frame_forget)
        return ProgramVersion.objects.create(
            number=latest.number + 1 if latest else 1,
            snapshot=snapshot,
            created_by=_user_or_none(actor),
            note=note[:NOTE_MAX_LENGTH],
            changes=program_changes(old=latest.definition if latest else None, new=definition),
        )


def program_import(*, text: str, actor: Any = None, note: str = "") -> ProgramImport:
    """Replace the program with the file's: all or nothing. Rules and tiers absent from the file
    are deactivated; rewards are created or updated by code, never deleted. Raises
    `ProgramInvalid` with every error, having changed nothing."""
    with transaction.atomic():
        program = _program_lock()
        # Validated under the lock, so the rewards merged in are the ones we will write over.
        definition = program_definition_for_import(text=text)
        previous = program_definition_current() if program else None
        program = _program_apply(program or Program(pk=PROGRAM_PK), definition)
        _tiers_apply(definition)
        _rules_apply(definition)
        handler = rewards_handler()
        if handler is not None:
            handler.import_rewards(rewards=definition.rewards, actor=actor)
        else:
            program.reward_catalog = program_to_data(definition)["rewards"]
            program.save(update_fields=["reward_catalog"])
        latest = program_version_latest()
        version = program_publish(actor=actor, note=note or "program import")
    return ProgramImport(
        version=version,
        changes=program_changes(old=previous, new=definition),
        is_new_version=latest is None or version.pk != latest.pk,
    )


def program_settings_save(*, actor: Any, program: Program, note: str = "") -> ProgramVersion:
    with transaction.atomic():
        _program_lock()
        program.pk = PROGRAM_PK
        _check(program_change_check(program=program))
        program.save()
        return program_publish(actor=actor, note=note or "program settings changed")


def tier_save(*, actor: Any, tier: Tier, note: str = "") -> ProgramVersion:
    with transaction.atomic():
        _program_lock_required()
        _check(program_change_check(tier=tier))
        tier.save()
        return program_publish(actor=actor, note=note or f"tier {tier.code} saved")


def tier_delete(*, actor: Any, tier: Tier, note: str = "") -> ProgramVersion:
    with transaction.atomic():
        _program_lock_required()
        _check(program_change_check(tier=tier, is_delete=True))
        code = tier.code
        tier.delete()
        return program_publish(actor=actor, note=note or f"tier {code} deleted")


def earning_rule_save(*, actor: Any, rule: EarningRule, note: str = "") -> ProgramVersion:
    with transaction.atomic():
        _program_lock_required()
        _check(program_change_check(rule=rule))
        rule.save()
        return program_publish(actor=actor, note=note or f"rule {rule.code} saved")


def earning_rule_delete(*, actor: Any, rule: EarningRule, note: str = "") -> ProgramVersion:
    with transaction.atomic():
        _program_lock_required()
        _check(program_change_check(rule=rule, is_delete=True))
        code = rule.code
        rule.delete()
        return program_publish(actor=actor, note=note or f"rule {code} deleted")


# --- Helpers ---------------------------------------------------------------------------------


def _check(check) -> None:
    if check.errors:
        raise ProgramInvalid(check.errors)


def _program_lock() -> Program | None:
    return Program.objects.select_for_update().filter(pk=PROGRAM_PK).first()


def _program_lock_required() -> Program:
    program = _program_lock()
    if program is None:
        raise ProgramNotConfigured("create the program settings first")
    return program


def _user_or_none(actor: Any):
    return actor if getattr(actor, "is_authenticated", False) else None


def _program_apply(program: Program, definition: ProgramDefinition) -> Program:
    program.name = definition.name
    program.currency = definition.currency
    program.timezone = definition.timezone
    program.language = definition.language
    program.categories = program_to_data(definition)["categories"]
    program.point_value = definition.point_value
    program.pending_days = definition.pending_days
    program.rounding = definition.rounding
    program.max_purchase_amount = definition.max_purchase_amount
    program.expiry_policy = definition.expiry.policy
    program.expiry_months = definition.expiry.months
    program.expiry_warn_days = definition.expiry.warn_days
    program.qualification_metric = definition.qualification_metric
    program.qualification_window_months = definition.qualification_window_months
    communications = definition.communications
    program.quiet_hours_from = communications.quiet_hours.starts
    program.quiet_hours_to = communications.quiet_hours.ends
    program.frequency_cap_messages = communications.frequency_cap.messages
    program.frequency_cap_days = communications.frequency_cap.days
    program.save()
    return program


def _tiers_apply(definition: ProgramDefinition) -> None:
    for position, tier in enumerate(definition.tiers):
        Tier.objects.update_or_create(
            code=tier.code,
            defaults={
                "name_en": tier.name.get("en", ""),
                "name_es": tier.name.get("es", ""),
                "name_fr": tier.name.get("fr", ""),
                "threshold": tier.threshold,
                "multiplier": tier.multiplier,
                "discount_percent": tier.discount_percent,
                "benefits": list(tier.benefits),
                "position": position,
                "is_active": True,
            },
        )
    codes = [tier.code for tier in definition.tiers]
    Tier.objects.exclude(code__in=codes).filter(is_active=True).update(is_active=False)


def _rules_apply(definition: ProgramDefinition) -> None:
    for position, rule in enumerate(definition.rules):
        EarningRule.objects.update_or_create(
            code=rule.code,
            defaults={
                "kind": rule.kind,
                "points": rule.points,
                "per": rule.per,
                "category": rule.category or "",
                "sku": rule.sku or "",
                "multiplier": rule.multiplier,
                "min_amount": rule.min_amount,
                "starts": rule.starts,
                "ends": rule.ends,
                "weekdays": list(rule.weekdays),
                "channels": list(rule.channels),
                "event": rule.event or "",
                "referee_points": rule.referee_points,
                "monthly_cap": rule.monthly_cap,
                "position": position,
                "is_active": True,
            },
        )
    codes = [rule.code for rule in definition.rules]
    EarningRule.objects.exclude(code__in=codes).filter(is_active=True).update(is_active=False)
