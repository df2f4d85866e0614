"""What changed between two programs, as lines a person reads (`program diff`, version notes)."""

from __future__ import annotations

from typing import Any

from loyalty.definition import ProgramDefinition
from loyalty.program_file import flow_text, program_to_data

_COLLECTIONS = (
    ("category", "categories"),
    ("tier", "levels"),
    ("rule", "rules"),
    ("reward", "rewards"),
)


def program_changes(*, old: ProgramDefinition | None, new: ProgramDefinition) -> list[str]:
    """Readable differences from `old` to `new`; empty when they are the same program."""
    new_data = program_to_data(new)
    if old is None:
        return [
            f"new program '{new.name}': {len(new.tiers)} tiers, {len(new.rules)} rules, "
            f"{len(new.rewards)} rewards"
        ]
    old_data = program_to_data(old)
    lines = []
    old_settings, new_settings = _settings(old_data), _settings(new_data)
    for key in dict.fromkeys([*old_settings, *new_settings]):
        before, after = old_settings.get(key), new_settings.get(key)
        if before != after:
            lines.append(f"{key}: {_text(before)} -> {_text(after)}")
    for label, section in _COLLECTIONS:
        lines += _collection_changes(label, _items(old_data, section), _items(new_data, section))
    return lines


def _settings(data: dict[str, Any]) -> dict[str, Any]:
    flat = {}
    for key, value in data["program"].items():
        if isinstance(value, dict):
            flat |= {f"program.{key}.{k}": v for k, v in value.items()}
        else:
            flat[f"program.{key}"] = value
    qualification = data["tiers"]["qualification"]
    flat |= {f"tiers.qualification.{k}": v for k, v in qualification.items()}
    return flat


def _items(data: dict[str, Any], section: str) -> dict[str, dict[str, Any]]:
    items = data["tiers"]["levels"] if section == "levels" else data[section]
    return {item["code"]: item for item in items}


def _collection_changes(
    label: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[str]:
    lines = []
    for code, item in new.items():
        if code not in old:
            details = {k: v for k, v in item.items() if k != "code"}
            lines.append(f"{label} added: {code} {flow_text(details)}")
    for code in old:
        if code not in new:
            lines.append(f"{label} removed: {code}")
    for code, item in new.items():
        before = old.get(code)
        if before is None or before == item:
            continue
        changed = [
            f"{key} {_text(before.get(key))} -> {_text(item.get(key))}"
            for key in dict.fromkeys([*before, *item])
            if before.get(key) != item.get(key)
        ]
        lines.append(f"{label} changed: {code}: " + "; ".join(changed))
    # Order is meaning for rules (the first per-currency rule prices category multipliers) and
    # for tiers (lowest first), so a reordering is a change too.
    common_old = [code for code in old if code in new]
    common_new = [code for code in new if code in old]
    if label != "reward" and common_old != common_new:
        plural = "categories" if label == "category" else f"{label}s"
        lines.append(f"{plural} reordered: {', '.join(new)}")
    return lines


def _text(value: Any) -> str:
    return "(none)" if value is None else flow_text(value)
