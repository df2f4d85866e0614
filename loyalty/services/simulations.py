"""The simulations the admin's program import shows beside its diff (ANALYTICS.md, "The program
simulator"): the last 12 months replayed under the file. A small history is replayed while the
page is made; a large one by a task (loyalty.tasks.program_simulation_run), once per draft text
and window (ProgramSimulation, keyed by the text's hash), its progress written as it reads and
polled by the page.
"""

from __future__ import annotations

import datetime
import hashlib
import time

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from loyalty.definition import ProgramDefinition
from loyalty.models import ProgramSimulation, SimulationStatus
from loyalty.program_file import ProgramInvalid
from loyalty.rules.months import months_after
from loyalty.selectors.program import program_definition_for_import
from loyalty.simulation import (
    Period,
    simulation_compute,
    simulation_purchase_count,
    simulation_zone,
)

# Above this many purchases in the window, the page leaves the replay to a task (some 20 s of
# work at the bench's pace on one process).
INLINE_MAX_PURCHASES = 20_000
WINDOW_MONTHS = 12
# A run whose worker died is claimed again (by the task's redelivery) after this long.
STALE_AFTER = datetime.timedelta(minutes=30)
PROGRESS_SECONDS = 1.0  # the progress row is written at most this often


def simulation_window(*, draft: ProgramDefinition, today: datetime.date | None = None) -> Period:
    """The last WINDOW_MONTHS months up to today (excluded), on the program's calendar."""
    zone = simulation_zone(draft)
    today = today or timezone.localdate(timezone.now(), zone)
    midnight = datetime.datetime.combine(today, datetime.time.min, zone)
    return Period(start=months_after(midnight, -WINDOW_MONTHS, zone=zone).date(), end=today)


def simulation_is_inline(*, draft: ProgramDefinition, window: Period) -> bool:
    return simulation_purchase_count(draft=draft, window=window) <= INLINE_MAX_PURCHASES


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def simulation_request(*, text: str, window: Period) -> tuple[ProgramSimulation, bool]:
    """The stored simulation of `text` over `window`: created when new, and a failed one set
    to run again. Returns it and whether it needs running (the caller queues the task, which
    runs once this commits)."""
    digest = text_hash(text)
    with transaction.atomic():
        simulation, created = ProgramSimulation.objects.get_or_create(
            text_hash=digest,
            starts=window.start,
            ends=window.end,
            defaults={"text": text},
        )
        if created:
            return simulation, True
        retried = ProgramSimulation.objects.filter(
            pk=simulation.pk, status=SimulationStatus.FAILED
        ).update(status=SimulationStatus.PENDING, error="", done=0, total=0)
        if retried:
            simulation.refresh_from_db()
        return simulation, bool(retried)


def simulation_run(*, simulation_id: int) -> ProgramSimulation | None:
    """Run a stored simulation: claimed first (waiting, or running for longer than STALE_AFTER,
    its worker gone), so a second delivery of the task does nothing; None when not claimed.
    A transient database error gives the claim back (the task retries); a draft that no longer
    validates, or any other error, leaves it failed with the reason."""
    now = timezone.now()
    claimed = (
        ProgramSimulation.objects.filter(pk=simulation_id)
        .filter(
            Q(status=SimulationStatus.PENDING)
            | Q(status=SimulationStatus.RUNNING, started_at__lt=now - STALE_AFTER)
        )
        .update(status=SimulationStatus.RUNNING, started_at=now, done=0)
    )
    if claimed != 1:
        return None
    simulation = ProgramSimulation.objects.get(pk=simulation_id)
    window = Period(start=simulation.starts, end=simulation.ends)
    progress = _ProgressWriter(simulation.pk)
    try:
        draft = program_definition_for_import(text=simulation.text)
        # One process: a Celery worker's is a daemon, which may not fork workers of its own.
        found = simulation_compute(draft=draft, window=window, progress=progress, workers=1)
    except (OperationalError, InterfaceError):
        _finish(simulation, status=SimulationStatus.PENDING)
        raise
    except ProgramInvalid as invalid:
        _finish(simulation, status=SimulationStatus.FAILED, error=str(invalid))
    except Exception as error:
        _finish(simulation, status=SimulationStatus.FAILED, error=repr(error))
        raise
    else:
        total = max(progress.total, 1)
        _finish(
            simulation,
            status=SimulationStatus.DONE,
            result=found.as_data(),
            done=total,
            total=total,
        )
    finally:
        progress.close()
    return simulation


def _finish(simulation: ProgramSimulation, *, status: str, **fields) -> None:
    simulation.status = status
    simulation.finished_at = timezone.now() if status != SimulationStatus.PENDING else None
    for name, value in fields.items():
        setattr(simulation, name, value)
    simulation.save(update_fields=["status", "finished_at", "done", "total", "result", "error"])


class _ProgressWriter:
    """Writes (done, total) to the simulation's row while the replay reads. On a connection of
    its own: the replay's transaction is read-only, and the page must see the progress before
    anything commits."""

    def __init__(self, simulation_id: int):
        self.simulation_id = simulation_id
        self.connection = None
        self.written_at = 0.0
        self.total = 0

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        now = time.monotonic()
        if now - self.written_at < PROGRESS_SECONDS and done < total:
            return
        self.written_at = now
        if self.connection is None:
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
        table = ProgramSimulation._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET done = %s, total = %s WHERE id = %s",  # noqa: S608 - ours
                [done, total, self.simulation_id],
            )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
