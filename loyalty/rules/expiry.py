"""When points expire (PROGRAM.md, "expiry"): `rolling`, N months after each lot was earned,
stamped on the lot when it is made; `inactivity`, all of a member's points N months after their
last purchase or redemption; `none`, never."""

from __future__ import annotations

import datetime

from loyalty.definition import ProgramDefinition
from loyalty.rules.months import months_after


def lot_expires_at(
    *, program: ProgramDefinition, earned_at: datetime.datetime
) -> datetime.datetime | None:
    """Rolling expiry: N months after the points were earned. Other policies date no lot."""
    if program.expiry.policy != "rolling" or not program.expiry.months:
        return None
    return months_after(earned_at, program.expiry.months, zone=program.zone)


def is_inactivity_expiry(program: ProgramDefinition) -> bool:
    """Whether points expire for inactivity (with a number of months) rather than by lot."""
    return program.expiry.policy == "inactivity" and bool(program.expiry.months)


def inactivity_deadline(
    *, program: ProgramDefinition, last_activity_at: datetime.datetime
) -> datetime.datetime | None:
    """Under the inactivity policy, when every point of a member last active at
    `last_activity_at` expires; None under the other policies."""
    if not is_inactivity_expiry(program):
        return None
    return months_after(last_activity_at, program.expiry.months, zone=program.zone)


def inactivity_cutoff(*, program: ProgramDefinition, at: datetime.datetime) -> datetime.datetime:
    """The last activity before which a member's points are due at `at` under the inactivity
    policy (the deadline read backwards): activity after it keeps them."""
    return months_after(at, -program.expiry.months, zone=program.zone)
