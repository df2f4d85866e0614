"""Benchmark: the member portal's home and activity pages for a member with a long history.

    .venv/bin/python bench/portal.py [--seconds 15] [--connections 4] [--workers 4]

Builds a fresh PostgreSQL database (`tessera_bench_portal`), imports the PROGRAM.md example,
enrols 10,000 members and writes 1,000,000 purchases with their ledger entries and points lots
straight in SQL (INSERT ... SELECT generate_series: the figures are plausible, not scored; the row
counts and indexes are what matter here), 2,000 of them for one member. Balances are summed from
the lots so every account is consistent. That member is signed in with a session made by Django's
SessionStore; gunicorn serves production settings (DEBUG off, Redis cache) and wrk (Debian's
package) requests GET /me/ and GET /me/activity/ with the session cookie, in Spanish, from a few
connections for `--seconds` each, after a short warm-up. Prints requests/s and p50/p95/p99.
Target (issue 5): p95 under 150 ms for both pages.
"""

import argparse
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from harness import (
    MEMBERS_SETUP,
    PG,
    PYTHON,
    WRK_DONE,
    database_create,
    gunicorn,
    production_env,
    run,
    wrk,
)

DB_NAME = "tessera_bench_portal"
MEMBERS = 10_000
ENTRIES = 1_000_000
HEAVY_ENTRIES = 2_000
# Bulk rows get ids from here up, clear of the few rows the services wrote during setup.
ID_BASE = 10_000_000

LUA = (
    r"""
wrk.headers["Cookie"] = "sessionid=%(session)s; django_language=es"
wrk.headers["Accept-Language"] = "es"
"""
    + WRK_DONE
)

SETUP = (
    MEMBERS_SETUP
    + """
from django.db import connection
heavy = members[0]
others = [m.pk for m in members[1:]]
assert others == list(range(others[0], others[0] + len(others))), "member ids not contiguous"
print("rows...", flush=True)
with connection.cursor() as cursor:
    cursor.execute(%(sql)r, {
        "base": %(base)d, "entries": %(entries)d, "heavy_entries": %(heavy)d,
        "heavy": heavy.pk, "first_other": others[0], "others": len(others),
    })
    cursor.execute("ANALYZE")
"""
)

# Signs in the member with the long history (the first one enrolled): a session row, as a login
# would write it.
SESSION = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from members.models import Member

heavy = Member.objects.select_related("user").get(user__email="bench0@example.com")
session = SessionStore()
session[SESSION_KEY] = str(heavy.user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = heavy.user.get_session_auth_hash()
session.create()
print(session.session_key)
"""

# One statement per table, each a generate_series: n in 1..entries; the first `heavy_entries`
# belong to the heavy member, the rest cycle over the others. A purchase every few hours back
# over a year; points are the euros spent, plus one per bottle (doubled for wine), roughly as the
# example program scores them; the breakdown is a real one, copied from a purchase scored below.
SQL = """
CREATE TEMP TABLE bench_rows ON COMMIT DROP AS
SELECT n,
       %(base)s + n AS id,
       CASE WHEN n <= %(heavy_entries)s THEN %(heavy)s
            ELSE %(first_other)s + (n %% %(others)s) END AS member_id,
       now() - make_interval(secs => CASE WHEN n <= %(heavy_entries)s THEN n * 15000
                                          ELSE (n * 7919) %% 31536000 END + 3600) AS at,
       (5 + n %% 150)::numeric(12, 2) AS amount,
       (5 + n %% 150) + 4 AS points
FROM generate_series(1::bigint, %(entries)s) AS n;

INSERT INTO loyalty_purchase (id, external_id, member_id, amount, currency, purchased_at, channel,
  items, program_version_id, tier_code, points, earned_points, breakdown, fingerprint,
  refunded_amount, created_at)
SELECT id, 'bench-' || n, member_id, amount, 'EUR', at,
       CASE WHEN n %% 5 = 0 THEN 'online' ELSE 'store' END,
       '[{"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, "unit_price": "12.50"}]',
       (SELECT max(id) FROM loyalty_programversion), 'bronze', points, points,
       '[{"part": "base", "rule": "base", "points": 10}]', '', 0, at
FROM bench_rows;

INSERT INTO loyalty_ledgerentry (id, member_id, kind, points, reason, breakdown, purchase_id,
  program_version_id, source_type, source_id, bonus_key, created_at)
SELECT id, member_id, 'earn', points, 'purchase',
       '[{"part": "base", "rule": "base", "points": 10}]', id,
       (SELECT max(id) FROM loyalty_programversion), '', '', '', at
FROM bench_rows;

INSERT INTO loyalty_pointslot (id, member_id, entry_id, purchase_id, points, remaining, debt_paid,
  available_at, is_matured, expires_at, earned_at)
SELECT id, member_id, id, id, points, CASE WHEN n %% 3 = 0 THEN 0 ELSE points END, 0,
       at + interval '14 days', at + interval '14 days' < now(), at + interval '365 days', at
FROM bench_rows;

UPDATE loyalty_loyaltyaccount AS account
SET available = totals.available, pending = totals.pending, lifetime = totals.lifetime
FROM (SELECT member_id,
             sum(remaining) FILTER (WHERE is_matured) AS available,
             sum(remaining) FILTER (WHERE NOT is_matured) AS pending,
             sum(points) AS lifetime
      FROM loyalty_pointslot GROUP BY member_id) AS totals
WHERE account.member_id = totals.member_id;

SELECT setval(pg_get_serial_sequence('loyalty_purchase', 'id'), max(id)) FROM loyalty_purchase;
SELECT setval(pg_get_serial_sequence('loyalty_ledgerentry', 'id'), max(id))
  FROM loyalty_ledgerentry;
SELECT setval(pg_get_serial_sequence('loyalty_pointslot', 'id'), max(id)) FROM loyalty_pointslot;
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database of an earlier run (no setup)"
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    env = production_env(DB_NAME)
    started = time.monotonic()
    if not args.reuse:
        print(f"setting up {DB_NAME}: {MEMBERS} members, {ENTRIES} ledger entries...", flush=True)
        database_create(DB_NAME, env)
        setup = SETUP % {
            "members": MEMBERS,
            "sql": SQL,
            "base": ID_BASE,
            "entries": ENTRIES,
            "heavy": HEAVY_ENTRIES,
        }
        run([PYTHON, "-c", setup], env=env)
    session = run([PYTHON, "-c", SESSION], env=env).split()[-1]
    counts = run(["psql", f"{PG}/{DB_NAME}", "-Atc",
                  "SELECT (SELECT count(*) FROM members_member), "
                  "(SELECT count(*) FROM loyalty_ledgerentry), "
                  "(SELECT max(c) FROM (SELECT count(*) c FROM loyalty_ledgerentry "
                  "GROUP BY member_id) t)"]).strip()  # fmt: skip
    members, entries, heaviest = counts.split("|")
    print(
        f"{members} members, {entries} ledger entries, heaviest member {heaviest} entries "
        f"(setup {time.monotonic() - started:.0f} s)",
        flush=True,
    )

    results = {}
    with gunicorn(env, workers=args.workers) as base, tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "portal.lua"
        script.write_text(LUA % {"session": session})
        for path in ("/me/", "/me/activity/"):
            request = urllib.request.Request(
                base + path, headers={"Cookie": f"sessionid={session}"}
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read().decode()
                if response.status != 200 or "/accounts/login/" in response.url:
                    sys.exit(f"{path}: not signed in ({response.status} {response.url})")
                if "data-testid=" not in body and "movement" not in body:
                    sys.exit(f"{path}: unexpected page")
            wrk(base + path, script, seconds=3, connections=args.connections)  # warm-up
            results[path] = wrk(
                base + path, script, seconds=args.seconds, connections=args.connections
            )

    print(f"\n{args.connections} connections, gunicorn {args.workers} sync workers, "
          f"{args.seconds}s per page, member with {HEAVY_ENTRIES} entries\n")  # fmt: skip
    print(f"{'':16}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for path, result in results.items():
        rps = result["requests"] / result["seconds"]
        print(
            f"GET {path:12}{rps:10.1f}{result['p50']:10.1f}{result['p95']:10.1f}"
            f"{result['p99']:10.1f}{result['errors']:8d}"
        )
    worst = max(result["p95"] for result in results.values())
    print(f"\nworst p95 {worst:.1f} ms  (target < 150 ms): {'met' if worst < 150 else 'MISSED'}")


if __name__ == "__main__":
    main()
