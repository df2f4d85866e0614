"""Event bonuses (sign-up, birthday, referral...): what the program gives for an event, once per
member and key, available at once."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from loyalty.definition import ProgramDefinition
from loyalty.rules.expiry import lot_expires_at
from loyalty.scoring import event_bonus_rule


@dataclass(frozen=True, slots=True)
class EventBonus:
    """A bonus to credit: its points, the key that makes it once per member (`bonus_key`), the
    snapshot of the rule that gave it (`breakdown`) and its lot's expiry."""

    event: str
    points: int
    bonus_key: str
    breakdown: list[dict[str, Any]]
    earned_at: datetime.datetime
    expires_at: datetime.datetime | None


def event_bonus(
    *,
    program: ProgramDefinition,
    event: str,
    at: datetime.datetime,
    source_key: str = "once",
    points: int | None = None,
) -> EventBonus | None:
    """The program's bonus for `event` at `at`, keyed by `source_key` ("once" for sign-up, the
    year for a birthday, the referee for a referral); `points` overrides the rule's (a referee's
    `referee_points`). None when the program gives nothing for it."""
    rule = event_bonus_rule(program=program, event=event, at=at)
    if rule is None:
        return None
    amount = rule.points if points is None else points
    if not amount or amount <= 0:
        return None
    return EventBonus(
        event=event,
        points=amount,
        bonus_key=f"{event}:{source_key}",
        breakdown=[{"part": "event", "code": rule.code, "event": event, "points": amount}],
        earned_at=at,
        expires_at=lot_expires_at(program=program, earned_at=at),
    )
