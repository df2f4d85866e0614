"""Who consumes which events. An app above config declares its consumers in its `consumers.py`
(found by EventsConfig.ready):

    @consumer("tier_notice", kinds=["tier.changed"])
    def tier_notice(event: Event) -> None: ...

A consumer is known by its `name`, which keys its delivery state: renaming one makes it a new
consumer that starts from the events not yet settled, so keep names stable.

The handler runs inside the dispatcher's transaction, once per event: whatever it writes to the
database commits with the event's delivery row, or not at all. Anything outside the database
(a mail, an HTTP call) it queues as an idempotent task (`delay`, sent on commit), never does
inline: a dispatcher killed after the call but before the commit would do it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

NAME_MAX_LENGTH = 50


@dataclass(frozen=True)
class Consumer:
    name: str
    kinds: frozenset[str]
    handle: Callable[[Any], None]


_consumers: dict[str, Consumer] = {}


def consumer(name: str, *, kinds: Iterable[str]) -> Callable:
    """Declare the decorated function the consumer `name` of events of `kinds`."""

    def register(handle: Callable[[Any], None]) -> Callable[[Any], None]:
        consumer_register(Consumer(name=name, kinds=frozenset(kinds), handle=handle))
        return handle

    return register


def consumer_register(found: Consumer) -> None:
    if len(found.name) > NAME_MAX_LENGTH:
        raise ValueError(f"consumer name {found.name!r} is longer than {NAME_MAX_LENGTH}")
    known = _consumers.get(found.name)
    if known is not None and known.handle is not found.handle:
        raise ValueError(f"two consumers are named {found.name!r}")
    _consumers[found.name] = found


def consumer_unregister(name: str) -> None:
    _consumers.pop(name, None)


def consumers() -> list[Consumer]:
    return sorted(_consumers.values(), key=lambda found: found.name)


def is_consumed(kind: str) -> bool:
    """Whether any consumer takes events of `kind` (only those are worth a dispatch at once)."""
    return any(kind in found.kinds for found in _consumers.values())
