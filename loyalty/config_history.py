"""The change history of the program's configuration, read from the published versions.

Every save of the program, a tier, a rule or a reward (admin, `program import`) publishes a
`ProgramVersion` with who made it, when, and its changes as readable lines with the values before
and after (loyalty.program_diff). The admin's history page of an object shows those lines next
to Django's own log (which names the fields a form changed, not their values).
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty.models import ProgramVersion

_PROGRAM_PREFIXES = ("program.", "tiers.qualification.", "new program")


@dataclass(frozen=True)
class ConfigChange:
    number: int
    at: object
    by: str
    note: str
    lines: list[str]


def _is_about(line: str, label: str | None, code: str) -> bool:
    if label is None:
        return line.startswith(_PROGRAM_PREFIXES)
    return (
        line.startswith(f"{label} added: {code} ")
        or line == f"{label} removed: {code}"
        or line.startswith(f"{label} changed: {code}:")
    )


def config_history(*, label: str | None, code: str = "") -> list[ConfigChange]:
    """Changes to one tier, rule or reward (`label` "tier", "rule", "reward" and its code), or to
    the program's settings (`label` None), newest first."""
    versions = ProgramVersion.objects.select_related("created_by").order_by("-number")
    history = []
    for version in versions:
        lines = [line for line in version.changes if _is_about(line, label, code)]
        if lines:
            by = version.created_by.email if version.created_by else ""
            history.append(
                ConfigChange(version.number, version.created_at, by, version.note, lines)
            )
    return history
