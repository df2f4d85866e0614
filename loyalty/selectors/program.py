"""Reads of the program: the editable state as a program definition, versions, export and diff.

The program is not member data: every reader may see it, so these take no `who is asking`.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from loyalty.definition import (
    DEFAULT_NAME_LANGUAGE,
    NAME_LANGUAGES,
    Communications,
    ProgramDefinition,
)
from loyalty.models import EarningRule, Program, ProgramVersion, Tier
from loyalty.models.program import PROGRAM_PK, version_cache
from loyalty.models.shop import FRAME_SECONDS, SHOP_PROFILE_PK, ShopProfile, frame_memory
from loyalty.program_diff import program_changes
from loyalty.program_file import (
    Path,
    ProgramError,
    ProgramInvalid,
    parse_program_data,
    parse_program_text,
    program_to_data,
    program_to_text,
)
from loyalty.program_hooks import rewards_handler


class ProgramNotConfigured(DomainError):
    """No program has been published yet (import one: `manage.py program import FILE`), or none
    was in force at the moment asked about. `reason` says which, for the commands and logs."""

    code = "program_not_configured"
    status = 409
    template = _("No program is in force at this time.")

    def __init__(self, reason: str = ""):
        self.reason = reason
        super().__init__()

    def __str__(self) -> str:
        return self.reason or super().__str__()


# --- Versions --------------------------------------------------------------------------------


def program_version_at(*, at: datetime.datetime) -> ProgramVersion:
    """The version in force at `at`: the latest created at or before it. A time before the first
    version gets the first one (purchases imported from before the program existed are scored
    with the earliest rules we have).

    Every purchase asks this, so it is one small hand-written query for the version's identity
    and the row itself comes from a per-process cache (versions never change): the ORM query
    with the snapshot cost about 0.5 ms of CPU per purchase in bench/earn.py."""
    if timezone.is_naive(at):
        raise ValueError("program_version_at needs an aware datetime")
    with connection.cursor() as cursor:
        cursor.execute(VERSION_AT_SQL, [connection.ops.adapt_datetimefield_value(at)])
        row = cursor.fetchone()
    return program_version_of(*(row or (None, None)))


def program_version_of(version_id: int | None, created_at: datetime.datetime | None):
    """The version `VERSION_AT_SQL` answered (its id and creation time; None when no version has
    been published), from the per-process cache. For a caller that asks VERSION_AT_SQL within
    another statement (a purchase's account lock)."""
    if version_id is None:
        raise ProgramNotConfigured("no program version has been published")
    # Keyed with the creation time too: a rolled-back transaction can hand its id out again.
    return version_cache.get(
        (version_id, created_at), lambda: ProgramVersion.objects.get(pk=version_id)
    )


# The id and creation time of the version in force at %s (see program_version_at).
VERSION_AT_SQL = """
SELECT id, created_at FROM (
    SELECT id, created_at, 0 AS fallback FROM (
        SELECT id, created_at FROM loyalty_programversion WHERE created_at <= %s
        ORDER BY created_at DESC, number DESC LIMIT 1
    ) AS in_force
    UNION ALL
    SELECT id, created_at, 1 AS fallback FROM (
        SELECT id, created_at FROM loyalty_programversion ORDER BY created_at, number LIMIT 1
    ) AS earliest
) AS candidates
ORDER BY fallback LIMIT 1
"""


def program_in_force(*, at: datetime.datetime | None = None) -> ProgramDefinition | None:
    """The program definition in force at `at` (default now), or None before any program exists.
    Every change publishes a version, so "now" is also the current editable program."""
    try:
        return program_version_at(at=at or timezone.now()).definition
    except ProgramNotConfigured:
        return None


def program_today(*, at: datetime.datetime) -> datetime.date:
    """`at` as a date on the program's wall clock (reward windows, birthdays are program-local
    dates)."""
    program = program_in_force(at=at)
    zone = program.zone if program else timezone.get_fixed_timezone(0)
    return at.astimezone(zone).date()


def program_zone(*, at: datetime.datetime | None = None) -> datetime.tzinfo:
    """The program's time zone: every time a person reads (pages, console, exports, mails) is
    shown in it. UTC before any program exists."""
    program = program_in_force(at=at)
    return program.zone if program is not None else datetime.UTC


def program_language(*, at: datetime.datetime | None = None) -> str:
    """The program's language: members' default, and the fallback of texts a member's own
    language lacks (PROGRAM.md). English before any program exists."""
    program = program_in_force(at=at)
    return program.language if program is not None else DEFAULT_NAME_LANGUAGE


def program_communications(*, at: datetime.datetime | None = None) -> Communications:
    """The communications settings in force at `at` (default now): quiet hours and the
    frequency cap that every marketing message keeps to (CAMPAIGNS.md). The defaults
    (21:00-09:00, one message in two days) before any program exists."""
    program = program_in_force(at=at)
    return program.communications if program is not None else Communications()


def program_version_latest() -> ProgramVersion | None:
    return ProgramVersion.objects.order_by("-number").first()


# --- The editable state ----------------------------------------------------------------------


def program_get() -> Program | None:
    return Program.objects.filter(pk=PROGRAM_PK).first()


def program_definition_current() -> ProgramDefinition | None:
    """The editable state as a definition (what `program export` writes), or None before any
    program exists. It always validates: every write to it is validated first."""
    program = program_get()
    if program is None:
        return None
    return parse_program_data(_program_data(program, _tiers(), _rules()))


def program_export_text() -> str:
    definition = program_definition_current()
    if definition is None:
        raise ProgramNotConfigured("there is no program to export yet")
    return program_to_text(definition)


def program_diff_for_text(*, text: str) -> list[str]:
    """What importing `text` would change, one readable line each (empty: nothing).
    Raises `ProgramInvalid` when the file would be refused."""
    new = program_definition_for_import(text=text)
    return program_changes(old=program_definition_current(), new=new)


def program_definition_for_import(*, text: str) -> ProgramDefinition:
    """The program an import of `text` would produce: the file, with the current rewards it
    leaves out kept (import never deletes a reward) and their stock kept (import sets stock only
    on creation). Raises `ProgramInvalid`."""
    definition = parse_program_text(text)
    program = program_get()
    if program is None:
        return definition
    current = _rewards_data(program)
    data = program_to_data(definition)
    data["rewards"] = rewards_merge(current=current, incoming=data["rewards"])
    return parse_program_data(data)


def rewards_merge(
    *, current: list[dict[str, Any]], incoming: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Create or update by code, never delete, keep the existing stock (PROGRAM.md)."""
    incoming_by_code = {reward["code"]: reward for reward in incoming}
    merged = []
    for reward in current:
        update = incoming_by_code.pop(reward["code"], None)
        if update is None:
            merged.append(reward)
            continue
        update = {key: value for key, value in update.items() if key != "stock"}
        if reward.get("stock") is not None:
            update["stock"] = reward["stock"]
        merged.append(update)
    return merged + list(incoming_by_code.values())


@dataclass(frozen=True)
class ChangeCheck:
    """The errors a would-be change has; `path` is where the changed object sits in the
    would-be program, so a form can show each error at its field."""

    errors: list[ProgramError]
    path: Path | None


def program_change_check(
    *,
    program: Program | None = None,
    tier: Tier | None = None,
    rule: EarningRule | None = None,
    is_delete: bool = False,
) -> ChangeCheck:
    """Validate the program as it would be with one object saved (or deleted), unsaved
    instances included, with exactly the file's rules."""
    stored_program = program_get()
    if program is None and stored_program is None:
        return ChangeCheck([ProgramError("create the program settings first")], None)
    tiers, tier_index = _with_change(_tiers(), tier, is_delete, _tier_order)
    rules, rule_index = _with_change(_rules(), rule, is_delete, _rule_order)
    program = program or stored_program
    data = _program_data(program, tiers, rules)
    path: Path | None = None
    if tier is not None:
        path = ("tiers", "levels", tier_index) if tier_index is not None else None
    elif rule is not None:
        path = ("rules", rule_index) if rule_index is not None else None
    else:
        path = ("program",)
    try:
        parse_program_data(data)
    except ProgramInvalid as invalid:
        return ChangeCheck(invalid.errors, path)
    return ChangeCheck([], path)


# --- Building the would-be program from rows -------------------------------------------------


def _tiers() -> list[Tier]:
    return list(Tier.objects.in_force())


def _rules() -> list[EarningRule]:
    return list(EarningRule.objects.in_force())


def _tier_order(tier: Tier) -> tuple:
    return (tier.position, tier.threshold, tier.pk or float("inf"))


def _rule_order(rule: EarningRule) -> tuple:
    return (rule.position, rule.pk or float("inf"))


def _with_change(rows: list, changed, is_delete: bool, order) -> tuple[list, int | None]:
    if changed is None:
        return rows, None
    rows = [row for row in rows if changed.pk is None or row.pk != changed.pk]
    if is_delete or not changed.is_active:
        return rows, None
    rows = sorted([*rows, changed], key=order)
    return rows, next(index for index, row in enumerate(rows) if row is changed)


def _program_data(program: Program, tiers: list[Tier], rules: list[EarningRule]) -> dict:
    expiry: dict[str, Any] = {"policy": program.expiry_policy}
    if program.expiry_months is not None:
        expiry["months"] = program.expiry_months
    if program.expiry_warn_days is not None:
        expiry["warn_days"] = program.expiry_warn_days
    return {
        "program": {
            "name": program.name,
            "currency": program.currency,
            "timezone": program.timezone,
            "language": program.language,
            "point_value": program.point_value,
            "pending_days": program.pending_days,
            "rounding": program.rounding,
            **(
                {"max_purchase_amount": program.max_purchase_amount}
                if program.max_purchase_amount is not None
                else {}
            ),
            "expiry": expiry,
            "communications": {
                "quiet_hours": {"from": program.quiet_hours_from, "to": program.quiet_hours_to},
                "frequency_cap": {
                    "messages": program.frequency_cap_messages,
                    "days": program.frequency_cap_days,
                },
            },
        },
        "categories": list(program.categories or []),
        "tiers": {
            "qualification": {
                "metric": program.qualification_metric,
                "window_months": program.qualification_window_months,
            },
            "levels": [_tier_data(tier) for tier in tiers],
        },
        "rules": [_rule_data(rule) for rule in rules],
        "rewards": _rewards_data(program),
    }


def _tier_data(tier: Tier) -> dict[str, Any]:
    data = {
        "code": tier.code,
        "name": {
            language: getattr(tier, f"name_{language}")
            for language in NAME_LANGUAGES
            if getattr(tier, f"name_{language}")
        },
        "threshold": tier.threshold,
        "multiplier": tier.multiplier,
        "discount_percent": tier.discount_percent,
    }
    if tier.benefits:
        data["benefits"] = tier.benefits
    return data


_RULE_COLUMNS = (
    "event",
    "points",
    "per",
    "category",
    "sku",
    "multiplier",
    "min_amount",
    "starts",
    "ends",
    "weekdays",
    "channels",
    "referee_points",
    "monthly_cap",
)


def _rule_data(rule: EarningRule) -> dict[str, Any]:
    # Every filled column is passed on, including ones the kind does not take, so the validator
    # refuses them ("unknown key") instead of their being silently dropped.
    data: dict[str, Any] = {"code": rule.code, "kind": rule.kind}
    for column in _RULE_COLUMNS:
        value = getattr(rule, column)
        if value not in (None, "", []):
            data[column] = value
    return data


def _rewards_data(program: Program) -> list[dict[str, Any]]:
    handler = rewards_handler()
    if handler is not None:
        return list(handler.export_rewards())
    return list(program.reward_catalog or [])


PRODUCT_NAME = "Tessera"


def program_name() -> str:
    """The shop's program's name (the program file's `name`), which every page and mail bears;
    "Tessera" only before any program exists. Read through the frame's short cache."""
    return shop_frame().name


def _program_name_now() -> str:
    program = program_in_force()
    return program.name if program is not None and program.name else PRODUCT_NAME


@dataclass(frozen=True)
class ShopFrame:
    """What every page's frame and every mail's sender show of the shop."""

    name: str
    logo_url: str
    accent: str


def shop_frame() -> ShopFrame:
    """Read at most every FRAME_SECONDS per process, and forgotten at once in the process that
    publishes a program or saves the shop profile (loyalty.models.shop.shop_frame_forget;
    another process sees the change within FRAME_SECONDS): two queries fewer on every page
    and every batch of mail."""
    found = frame_memory.get("frame")
    if found is not None and time.monotonic() - found[0] < FRAME_SECONDS:
        return found[1]
    profile = shop_profile()
    frame = ShopFrame(
        name=_program_name_now(),
        logo_url=profile.logo.url if profile.logo else "",
        accent=profile.accent_color,
    )
    frame_memory["frame"] = (time.monotonic(), frame)
    return frame


def program_sender() -> str:
    """DEFAULT_FROM_EMAIL's address under the program's name ("Club Sicmay <no-reply@…>"):
    every mail Tessera sends comes from the shop."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((program_name(), address or settings.DEFAULT_FROM_EMAIL))


def shop_profile():
    """The shop's logo, accent colour and legal texts (loyalty.ShopProfile), an empty one when
    the shop has set none."""
    return ShopProfile.objects.filter(pk=SHOP_PROFILE_PK).first() or ShopProfile()
