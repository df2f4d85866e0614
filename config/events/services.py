"""Writing events. The domain apps' creator functions (`members.events`, `loyalty.events`,
`rewards.events`: one per event) build their payload and call these, inside the transaction of
the change they report.

Building (`event_new`) and writing are apart because the purchase path writes its event inside
the one statement that writes the purchase (config.rows.rows_insert_chain); everything else
writes with `event_record`, or `events_record` for a batch (the bulk imports).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from config.events.models import Event
from config.events.registry import is_consumed
from config.events.tasks import events_dispatch
from config.rows import row_insert


def event_new(
    kind: str,
    *,
    payload: dict[str, Any],
    occurred_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Event:
    """An event row, not yet written. `payload` holds JSON values (strings for amounts and
    times). The caller writes it in the transaction of the change, then `events_kick`s."""
    now = now or timezone.now()
    return Event(kind=kind, occurred_at=occurred_at or now, created_at=now, payload=payload)


def event_record(kind: str, **fields: Any) -> Event:
    """Write one event now, in the caller's transaction (see `event_new` for the fields)."""
    event = event_new(kind, **fields)
    # config.rows: a prebuilt, prepared INSERT (an upgrade writes one on the purchase path;
    # Model.save() cost a few hundred microseconds of CPU there).
    row_insert(event)
    events_kick([kind])
    return event


def events_record(events: list[Event]) -> list[Event]:
    """Write a batch of events built with `event_new` in one insert."""
    if not events:
        return []
    Event.objects.bulk_create(events)
    events_kick({event.kind for event in events})
    return events


def events_kick(kinds: Iterable[str]) -> None:
    """Ask for a dispatch once the caller's transaction commits, if anyone consumes these kinds
    (at most once per transaction). The periodic dispatch finds them anyway: this only makes
    the consumers hear of them within a second rather than at the next beat."""
    if not any(is_consumed(kind) for kind in kinds):
        return
    if any(callback is _dispatch_soon for _sids, callback, _robust in connection.run_on_commit):
        return
    # robust: a broker that is down must not turn a committed change into an error.
    transaction.on_commit(_dispatch_soon, robust=True)


def _dispatch_soon() -> None:
    events_dispatch.delay()
