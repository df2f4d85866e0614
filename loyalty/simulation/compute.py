"""The simulation of a draft program over a window of history: the streams read (history), each
member replayed (replay), the figures of both sides put together. Reads only: everything runs
in one read-only transaction (history.read_only), or in several sharing its snapshot when the
replay is split between worker processes.
"""

from __future__ import annotations

import datetime
import multiprocessing
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection, connections

from loyalty.definition import ProgramDefinition
from loyalty.periods import Period
from loyalty.selectors.points import (
    breakage_of,
    breakage_window,
    liability_of,
    money,
    points_in_windows,
    rate,
)
from loyalty.selectors.program import program_in_force
from loyalty.simulation.attribution import OTHER, ROUNDING, shares_points
from loyalty.simulation.history import (
    Span,
    history_size,
    member_histories,
    member_ranges,
    purchases_in_window,
    read_only,
)
from loyalty.simulation.replay import Partial, Replay

# The keys of each side's figures (ANALYTICS.md, "The program simulator").
FIGURE_KEYS = (
    "points_issued",
    "points_by_rule",
    "members_per_tier",
    "upgrades",
    "downgrades",
    "outstanding_points",
    "liability",
    "expected_reward_cost",
)
PROGRESS_EVERY = 2000  # members between two progress reports
# Member ranges per worker process. The ranges have as many purchases each; every range reads
# its own part of each table, and more ranges made the database scan and sort more.
RANGES_PER_WORKER = 1
MAX_WORKERS = 4
PARALLEL_FROM = 50_000  # purchases read; below, starting processes costs more than it saves

Progress = Callable[[int, int], None]  # (done, total), in purchases and entries read


@dataclass(frozen=True)
class Simulation:
    """Both sides' figures (`figures["live"]`, `figures["draft"]`, each with FIGURE_KEYS) and
    what they rest on."""

    window: Period
    time_zone: str
    currency: str
    figures: dict[str, dict[str, Any]]
    breakage: Decimal | None
    redemption_rate: Decimal | None
    purchases_read: int
    purchases_scored: int
    refunds_rescored: int
    seconds: float

    def as_data(self) -> dict[str, Any]:
        """JSON-ready: money and rates as strings."""
        return {
            "from": self.window.start.isoformat(),
            "to": self.window.end.isoformat(),
            "time_zone": self.time_zone,
            "currency": self.currency,
            "figures": self.figures,
            "breakage": _text(self.breakage),
            "redemption_rate": _text(self.redemption_rate),
            "purchases_read": self.purchases_read,
            "purchases_scored": self.purchases_scored,
            "refunds_rescored": self.refunds_rescored,
            "seconds": round(self.seconds, 1),
        }


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def simulation_zone(draft: ProgramDefinition) -> datetime.tzinfo:
    """The calendar the window's dates are read on: the live program's (as the analytics
    figures are), the draft's before any program exists."""
    live = program_in_force()
    return live.zone if live is not None else draft.zone


def simulation_purchase_count(*, draft: ProgramDefinition, window: Period) -> int:
    """The purchases a simulation of `window` scores (the admin runs larger ones in the
    background)."""
    start, end = window.bounds(simulation_zone(draft))
    return purchases_in_window(start, end).count()


def simulation_compute(
    *,
    draft: ProgramDefinition,
    window: Period,
    progress: Progress | None = None,
    workers: int | None = None,
) -> Simulation:
    """Replay `window` under `draft` (ANALYTICS.md, "The program simulator"), writing nothing.
    `workers` > 1 splits the members between that many forked processes (PostgreSQL only: they
    share this transaction's snapshot; not from a daemon process, such as a Celery worker's);
    None: one per core (up to MAX_WORKERS) for more than PARALLEL_FROM purchases, else one.
    `progress` is told (done, total) as the replay reads."""
    started = time.monotonic()
    zone = simulation_zone(draft)
    start, end = window.bounds(zone)
    live = program_in_force(at=end)
    span = Span.of(draft, start, end)
    is_postgresql = connection.vendor == "postgresql"
    with read_only(export=is_postgresql) as snapshot:
        points, year = points_in_windows([(start, end), breakage_window(end, zone)])
        purchases, entries = history_size(span)
        total = purchases + entries
        if progress is not None:
            progress(0, total)
        if workers is None:
            workers = min(os.cpu_count() or 1, MAX_WORKERS) if purchases > PARALLEL_FROM else 1
        # Workers read on this transaction's snapshot: none inside another transaction.
        is_parallel = workers > 1 and snapshot is not None
        ranges = member_ranges(span, workers * RANGES_PER_WORKER if is_parallel else 1)
        jobs = [(draft, live, span, members) for members in ranges]
        if is_parallel:
            partial = _in_workers(jobs, workers, snapshot, total, progress)
        else:
            partial = Partial()
            done = [0]

            def advance(count: int) -> None:
                done[0] += count
                if progress is not None:
                    progress(done[0], total)

            for job in jobs:
                partial.add(job_run(job, advance=advance))
    breakage = breakage_of(year)
    redemption_rate = rate(points["redeemed"], points["issued"])
    # The window's points beyond its purchases (bonuses, refunds of older purchases, reversals)
    # are the same on both sides; the purchases of the window and their refunds are the draft's.
    unchanged = points["issued"] - partial.related_points
    shares_rest = dict(partial.live_shares)
    for code, value in partial.related_shares.items():
        shares_rest[code] = shares_rest.get(code, Decimal(0)) - value
    reversals = points["issued"] - partial.live_points  # not in the stream: no breakdown
    if reversals:
        shares_rest[OTHER] = shares_rest.get(OTHER, Decimal(0)) + reversals
    live_shares = dict(partial.live_shares)
    if reversals:
        live_shares[OTHER] = live_shares.get(OTHER, Decimal(0)) + reversals
    draft_shares = dict(shares_rest)
    for code, value in partial.draft_shares.items():
        draft_shares[code] = draft_shares.get(code, Decimal(0)) + value
    sides = {
        "live": _side(
            issued=points["issued"],
            shares=live_shares,
            tiers=_tier_counts(live, partial.live_tiers),
            upgrades=partial.live_upgrades,
            downgrades=partial.live_downgrades,
            outstanding=partial.live_outstanding,
            point_value=live.point_value if live is not None else Decimal(0),
            breakage=breakage,
            redemption_rate=redemption_rate,
        ),
        "draft": _side(
            issued=unchanged + partial.draft_points,
            shares=draft_shares,
            tiers=_tier_counts(draft, partial.draft_tiers),
            upgrades=partial.draft_upgrades,
            downgrades=partial.draft_downgrades,
            outstanding=partial.draft_outstanding,
            point_value=draft.point_value,
            breakage=breakage,
            redemption_rate=redemption_rate,
        ),
    }
    # Every rule of either program, so a rule the draft drops or adds shows 0 on a side: the
    # draft's in its order, then the live program's others, then the rest (tiers, rounding).
    codes = [rule.code for rule in draft.rules]
    codes += [rule.code for rule in (live.rules if live else ()) if rule.code not in codes]
    found = set(sides["live"]["points_by_rule"]) | set(sides["draft"]["points_by_rule"])
    codes += sorted(found - set(codes), key=lambda code: (code in (ROUNDING, OTHER), code))
    for side in sides.values():
        side["points_by_rule"] = {code: side["points_by_rule"].get(code, 0) for code in codes}
    return Simulation(
        window=window,
        time_zone=str(zone),
        currency=(live or draft).currency,
        figures=sides,
        breakage=breakage,
        redemption_rate=redemption_rate,
        purchases_read=partial.purchases_read,
        purchases_scored=partial.purchases_scored,
        refunds_rescored=partial.refunds_rescored,
        seconds=time.monotonic() - started,
    )


def _side(
    *,
    issued: int,
    shares,
    tiers: dict[str, int],
    upgrades: int,
    downgrades: int,
    outstanding: int,
    point_value: Decimal,
    breakage: Decimal | None,
    redemption_rate: Decimal | None,
) -> dict[str, Any]:
    liability, _without = liability_of(outstanding, point_value, breakage)
    cost = money(Decimal(issued) * (redemption_rate or 0) * point_value)
    return {
        "points_issued": issued,
        "points_by_rule": shares_points(shares, issued),
        "members_per_tier": tiers,
        "upgrades": upgrades,
        "downgrades": downgrades,
        "outstanding_points": outstanding,
        "liability": str(liability),
        "expected_reward_cost": str(cost),
    }


def _tier_counts(program: ProgramDefinition | None, counted) -> dict[str, int]:
    """Members per tier, every tier of the program listed (0 included), in its order."""
    counts = {tier.code: 0 for tier in program.tiers} if program is not None else {}
    for code, members in counted.items():
        counts[code] = counts.get(code, 0) + members
    return counts


# --- A job: the members of one range --------------------------------------------------------------


def job_run(job: tuple, *, advance: Callable[[int], None]) -> Partial:
    """Replay the members of one range (`job`: the draft, the live program, the span, the
    range), their entries of the window counted with them; `advance` is told the rows read."""
    draft, live, span, members = job
    partial = Partial()
    replay = Replay(draft=draft, live=live, span=span, partial=partial)
    read = 0
    for index, history in enumerate(member_histories(span, members, end=span.end), 1):
        replay.member(history)
        read += len(history.purchases) + len(history.entries)
        if index % PROGRESS_EVERY == 0:
            advance(read)
            read = 0
    advance(read)
    return partial


# --- Worker processes -----------------------------------------------------------------------------
#
# Forked from the process that holds the read-only transaction (its snapshot exported), so they
# have Django set up and the draft at hand; each reads with a connection of its own, in a read-only
# transaction on that snapshot, and adds the rows it reads to a shared counter.

_worker: dict[str, Any] = {}


def _worker_start(counter) -> None:
    # The parent's connection came along with the fork: kept referenced and never used (closing
    # it here would end the parent's session, and its transaction with it), and replaced.
    _worker["inherited"] = [connections[alias] for alias in connections]
    for alias in connections:
        connections[alias] = connections.create_connection(alias)
    _worker["counter"] = counter


def _worker_advance(count: int) -> None:
    counter = _worker["counter"]
    with counter.get_lock():
        counter.value += count


def _worker_job(job: tuple, snapshot: str) -> Partial:
    try:
        with read_only(snapshot=snapshot):
            return job_run(job, advance=_worker_advance)
    finally:
        connections["default"].close()


def _in_workers(jobs: list, workers: int, snapshot: str, total: int, progress) -> Partial:
    """The jobs shared out between `workers` processes, each reading on `snapshot`."""
    context = multiprocessing.get_context("fork")
    counter = context.Value("q", 0)
    partial = Partial()
    with context.Pool(workers, initializer=_worker_start, initargs=(counter,)) as pool:
        pending = pool.starmap_async(_worker_job, [(job, snapshot) for job in jobs])
        while not pending.ready():
            pending.wait(0.2)
            if progress is not None:
                progress(min(counter.value, total), total)
        for found in pending.get():
            partial.add(found)
    if progress is not None:
        progress(total, total)
    return partial
