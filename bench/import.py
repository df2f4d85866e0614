"""Benchmark: bulk import of 20,000 members and 100,000 purchases from CSV into PostgreSQL.

    .venv/bin/python bench/import.py [--members 20000] [--purchases 100000]

(`--purchases 1000000` checks that memory stays flat for a long file: some ten minutes.)

Writes the two CSV files into a temporary directory, builds a fresh PostgreSQL database
(`tessera_bench_import`), imports the PROGRAM.md example program, then runs `import_members` and
`import_purchases` as subprocesses, each timed and measured for peak resident memory
(RUSAGE_CHILDREN of a wrapper process around each). Prints rows/s and peak MB, and checks a
sample of accounts with `account_recompute`.
Targets (issue 6): >= 2,000 purchases/s, < 300 MB resident.
"""

import argparse
import csv
import datetime
import random
import tempfile
import time
from pathlib import Path

from harness import PYTHON, database_create, production_env, run

DB_NAME = "tessera_bench_import"

PROGRAM = """
import django
django.setup()
from pathlib import Path
from loyalty.services.program import program_import
# Purchases dated before the first version are scored with it (program_version_at).
program_import(text=Path("loyalty/fixtures/example_program.yaml").read_text(), note="bench")
"""

CHECK = """
import django
django.setup()
from django.db.models import Sum
from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase, TierChange
from loyalty.services.ledger import account_recompute
from members.models import Member
members = Member.objects.order_by("?")[:200]
bad = [m.pk for m in members if not account_recompute(member=m)["consistent"]]
print(f"members {Member.objects.count()}, purchases {Purchase.objects.count()}, "
      f"entries {LedgerEntry.objects.count()}, tier changes {TierChange.objects.count()}, "
      f"points {LoyaltyAccount.objects.aggregate(s=Sum('lifetime'))['s']}")
print(f"account_recompute on 200 random members: {len(bad)} inconsistent")
"""


def files_write(directory: Path, members: int, purchases: int) -> tuple[Path, Path]:
    rng = random.Random(6)
    members_csv, purchases_csv = directory / "members.csv", directory / "purchases.csv"
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    with open(members_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["email", "first_name", "last_name", "phone", "birth_date", "language",
                         "marketing_opt_in", "joined_at"])  # fmt: skip
        for n in range(members):
            writer.writerow([
                f"member{n}@example.com", f"Name{n}", "Bench", f"+34 600 {n:06d}",
                f"19{rng.randint(40, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(["en", "es", "fr"]), rng.choice(["true", "false"]),
                (start + datetime.timedelta(minutes=n)).isoformat(),
            ])  # fmt: skip
    # A purchase every 5 minutes from 30 days after the first member joined, closer together
    # when that would reach beyond yesterday (a purchase in the future is refused).
    first = start + datetime.timedelta(days=30)
    yesterday = datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(days=1)
    step = min(datetime.timedelta(seconds=300), (yesterday - first) / max(purchases, 1))
    with open(purchases_csv, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["external_id", "member_email", "purchased_at", "amount", "currency",
                         "channel", "quantity", "sku", "category", "unit_price"])  # fmt: skip
        for n in range(purchases):
            at = first + n * step
            cents = rng.randint(500, 25000)
            amount = f"{cents / 100:.2f}"
            line = ["", "", "", ""]
            # Two bottles at 12.50 only in a basket that paid for them (items worth more than
            # the amount are refused, as on the live path).
            if rng.random() < 0.4 and cents >= 2500:
                line = ["2", "VINO-TINTO-75", "wine", "12.50"]
            writer.writerow([
                f"hist-{n:07d}", f"member{rng.randrange(members)}@example.com", at.isoformat(),
                amount, "EUR", rng.choice(["store", "online", "app"]), *line,
            ])  # fmt: skip
    return members_csv, purchases_csv


# Runs one command and prints its own peak RSS: RUSAGE_CHILDREN of a process whose only child is
# the command (ours would include migrate's).
MEASURE = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(f"PEAK_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(code)
"""


def timed(label: str, rows: int, cmd: list[str], env: dict) -> None:
    started = time.monotonic()
    out = run([PYTHON, "-c", MEASURE, *cmd], env=env)
    seconds = time.monotonic() - started
    lines = out.strip().splitlines()
    peak_mb = int(lines[-1].split()[1]) / 1024
    print(f"{label:10} {rows:8d} rows {seconds:7.1f} s {rows / seconds:8.0f} rows/s "
          f"peak RSS {peak_mb:5.0f} MB   [{lines[-2]}]", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--purchases", type=int, default=100_000)
    args = parser.parse_args()
    env = production_env(DB_NAME)
    with tempfile.TemporaryDirectory() as tmp:
        print(f"writing {args.members} members and {args.purchases} purchases...", flush=True)
        members_csv, purchases_csv = files_write(Path(tmp), args.members, args.purchases)
        print(f"setting up {DB_NAME}...", flush=True)
        database_create(DB_NAME, env)
        run([PYTHON, "-c", PROGRAM], env=env)
        manage = [PYTHON, "manage.py"]
        timed("members", args.members, [*manage, "import_members", str(members_csv)], env)
        timed("purchases", args.purchases, [*manage, "import_purchases", str(purchases_csv)], env)
        again = [*manage, "import_purchases", str(purchases_csv)]
        timed("re-run", args.purchases, again, env)
        print(run([PYTHON, "-c", CHECK], env=env).strip())


if __name__ == "__main__":
    main()
