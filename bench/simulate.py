"""Benchmark: the program simulator (`manage.py program simulate`) on 100,000 members and
1,000,000 purchases in PostgreSQL.

    .venv/bin/python bench/simulate.py [--members 100000] [--purchases 1000000] [--keep]

Builds a fresh database (`tessera_bench_sim`) with the analytics benchmark's builder
(bench/campaign.py's members and purchases over the last two years, 5 % fully and 5 % partly
refunded, then bench/analytics.py's ledger: an earn entry per purchase, a clawback per refund,
redemptions, expiries, tier changes) and adds the `Refund` rows behind its clawbacks, so the
simulator has refunds to rescore. Then, in one process each, with its wall time, purchases per
second (read, for the comparison with the floor) and peak RSS (resource.getrusage):

- `read only`: the simulator's streams (members, purchases, refunds, tier changes, outstanding
  points, the window's entries) read as it reads them, member by member through server-side
  cursors, and nothing done with them: the floor the machine gives today (it is shared);
- `simulate a year`: the last full year under a draft that doubles the base rate and lowers the
  Silver threshold (the year before is read too, for the qualifying totals), on one process and
  on two;
- `simulate two years`: every purchase of the history (1,000,000) rescored, on two processes.

Target: 1,000,000 purchases over 100,000 members in under 60 s, memory flat.
"""

import argparse
import time

from campaign import SETUP
from harness import PYTHON, database_create, production_env, run

# bench/ is first on sys.path: `analytics` here is bench/analytics.py, not the app.
from analytics import EXTRA

DB_NAME = "tessera_bench_sim"

# The Refund rows behind bench/analytics.py's clawbacks (same amounts and times).
REFUNDS = r"""
import django
django.setup()
from django.db import connection

with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO loyalty_refund (purchase_id, external_id, amount, items, points_taken,"
        " created_at)"
        " SELECT id, 'r-' || id, refunded_amount, '[]'::jsonb, floor(refunded_amount)::bigint,"
        " least(purchased_at + interval '3 days', now())"
        " FROM loyalty_purchase WHERE refunded_amount > 0")
    cursor.execute("VACUUM ANALYZE loyalty_refund")
    cursor.execute("SELECT count(*) FROM loyalty_refund")
    print(f"added {cursor.fetchone()[0]} refunds")
"""

DRAFT_EDIT = r"""
text = Path("loyalty/fixtures/example_program.yaml").read_text()
text = text.replace(
    "{code: base, kind: per_currency_unit, points: 1, per: \"1.00\"}",
    "{code: base, kind: per_currency_unit, points: 2, per: \"1.00\"}",
).replace('threshold: "500"', 'threshold: "300"')
"""

TIMED = (
    r"""
import resource, sys, time
import django
django.setup()
import datetime
from pathlib import Path
from django.utils import timezone
from loyalty.program_file import parse_program_text
from loyalty.simulation import Period, simulation_compute, simulation_zone
from loyalty.simulation.history import Span, member_histories, member_ranges, read_only
"""
    + DRAFT_EDIT
    + r"""
part, workers = sys.argv[1], int(sys.argv[2])
draft = parse_program_text(text)
zone = simulation_zone(draft)
today = timezone.localdate(timezone.now(), zone)
days = 365 if part == "year" else 740
window = Period(start=today - datetime.timedelta(days=days), end=today)
started = time.perf_counter()
if part == "read":
    # The simulator's streams, read as it reads them (one process), nothing done with them.
    start, end = window.bounds(zone)
    span = Span.of(draft, start, end)
    purchases = entries = 0
    with read_only():
        for members in member_ranges(span, 1):
            for history in member_histories(span, members, end=end):
                purchases += len(history.purchases)
                entries += len(history.entries)
    scored = purchases
    label = f"read only, 1 process: {purchases:,} purchases and {entries:,} entries read"
else:
    result = simulation_compute(draft=draft, window=window, workers=workers)
    purchases, scored = result.purchases_read, result.purchases_scored
    label = (f"simulate {window.start}..{window.end}, {workers} process(es):"
             f" {scored:,} purchases scored ({purchases:,} read)")
seconds = time.perf_counter() - started
# The parent's peak and the largest worker's (RUSAGE_CHILDREN: the largest child's); the CPU
# time of both, which other work on a shared machine does not inflate as it does the wall time.
me = resource.getrusage(resource.RUSAGE_SELF)
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime
print(f"  {label} in {seconds:.1f} s ({cpu:.1f} s of CPU here, the database's apart),"
      f" {purchases / seconds:,.0f} purchases/s, peak RSS {me.ru_maxrss / 1024:.0f} MB"
      f" (largest worker {children.ru_maxrss / 1024:.0f} MB)")
if part != "read":
    for side in ("live", "draft"):
        figures = result.figures[side]
        print(f"    {side}: {figures['points_issued']:,} points issued,"
              f" tiers {figures['members_per_tier']}, {figures['upgrades']:,} up,"
              f" {figures['downgrades']:,} down")
"""
)

# (part, worker processes)
RUNS = [("read", 1), ("year", 1), ("year", 2), ("all", 2)]
PARTS = sorted({part for part, _workers in RUNS})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database a previous run built"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build the database, time nothing"
    )
    parser.add_argument("--part", choices=PARTS, action="append", help="time only these")
    args = parser.parse_args()
    env = production_env(DB_NAME)
    if not args.keep:
        print(f"setting up {DB_NAME}...", flush=True)
        database_create(DB_NAME, env)
        started = time.monotonic()
        print(run([PYTHON, "-c", SETUP, str(args.members), str(args.purchases)], env=env).strip())
        print(run([PYTHON, "-c", EXTRA], env=env).strip(), flush=True)
        print(run([PYTHON, "-c", REFUNDS], env=env).strip(), flush=True)
        print(f"  in {time.monotonic() - started:.0f} s", flush=True)
    if args.build_only:
        return
    print(f"simulator on {args.members} members, {args.purchases} purchases:", flush=True)
    for part, workers in RUNS:
        if args.part and part not in args.part:
            continue
        print(run([PYTHON, "-c", TIMED, part, str(workers)], env=env).rstrip(), flush=True)


if __name__ == "__main__":
    main()
