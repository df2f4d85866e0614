"""Benchmark: the analytics overview on 100,000 members and 1,000,000 purchases in PostgreSQL.

    .venv/bin/python bench/analytics.py [--members 100000] [--purchases 1000000] [--runs 20]
                                        [--keep]

Builds a fresh database (`tessera_bench_analytics`) with bench/campaign.py's generator (members
over four years, purchases over the last two, 5 % fully and 5 % partly refunded), then adds what
the figures read beyond it with bulk SQL: one `earn` entry per purchase and a clawback per
refund, redemptions and expiries for a tenth of the members each, tier changes for the members
above bronze, survey answers and referrals. Then times, over `--runs` runs after two warm-up
runs, with p50 and p95:

- `summary`: campaigns.selectors.figures.analytics_summary for the last 365 days (every figure
  of ANALYTICS.md's table, and the same for the previous 365 days), what the overview page and
  `GET /api/v1/analytics/summary/` compute;
- `cohorts`: analytics.figures.cohort_retention for the last 12 months.

Target (issue 16): the overview for a year answers with a p95 under 500 ms.
"""

import argparse
import time

from campaign import SETUP
from harness import PYTHON, database_create, production_env, run

DB_NAME = "tessera_bench_analytics"

EXTRA = r"""
import django
django.setup()
from django.db import connection

with connection.cursor() as cursor:
    # What each purchase earned, when it was made; a clawback when (and as) it was refunded.
    cursor.execute(
        "INSERT INTO loyalty_ledgerentry (member_id, kind, points, reason, breakdown,"
        " purchase_id, source_type, source_id, bonus_key, occurred_at, created_at)"
        " SELECT member_id, 'earn', earned_points, 'bench', '[]'::jsonb, id, '', '', '',"
        " purchased_at, purchased_at FROM loyalty_purchase")
    cursor.execute(
        "INSERT INTO loyalty_ledgerentry (member_id, kind, points, reason, breakdown,"
        " purchase_id, source_type, source_id, bonus_key, occurred_at, created_at)"
        " SELECT member_id, 'refund', -floor(refunded_amount)::bigint, 'bench', '[]'::jsonb, id,"
        " '', '', '', least(purchased_at + interval '3 days', now() - interval '5 minutes'),"
        " least(purchased_at + interval '3 days', now() - interval '5 minutes')"
        " FROM loyalty_purchase WHERE refunded_amount > 0")
    for kind, salt, points in (("redeem", "r", 500), ("expire", "x", 120)):
        cursor.execute(
            "INSERT INTO loyalty_ledgerentry (member_id, kind, points, reason, breakdown,"
            " source_type, source_id, bonus_key, occurred_at, created_at)"
            f" SELECT id, '{kind}', -{points}, 'bench', '[]'::jsonb, '', '', '',"
            " now() - interval '5 minutes'"
            " - (hashtext(%s || id) & 2147483647) %% 700 * interval '1 day',"
            " now() - interval '5 minutes'"
            " - (hashtext(%s || id) & 2147483647) %% 700 * interval '1 day'"
            " FROM members_member WHERE (hashtext(%s || id) & 2147483647) %% 10 = 0",
            [salt, salt, salt + "m"])
    cursor.execute(
        "INSERT INTO loyalty_tierchange (member_id, from_code, to_code, reason,"
        " qualifying_total, at, notified_at)"
        " SELECT member_id, 'bronze', tier_code, 'upgrade', 500,"
        " now() - (member_id % 600) * interval '1 day', now()"
        " FROM loyalty_loyaltyaccount WHERE tier_code <> 'bronze'")
    cursor.execute("VACUUM ANALYZE")
    cursor.execute("SELECT count(*) FROM loyalty_ledgerentry")
    entries = cursor.fetchone()[0]
print(f"added {entries} ledger entries")
"""

TIMED = r"""
import sys
import django
django.setup()
import datetime, statistics, time
from django.utils import timezone
from analytics import figures
from analytics.facts import facts_rebuild, facts_zone
from analytics.ledger_days import ledger_days_advance
from analytics.models import LedgerDaysState
from loyalty.models import LedgerEntry
from analytics.figures import Period, Sources, cohort_retention, figures_zone
from campaigns.selectors.figures import analytics_summary

RUNS = int(sys.argv[1])
zone = figures_zone()
if facts_zone() != str(zone):
    started = time.perf_counter()
    facts_rebuild(zone)  # what analytics.tasks.purchase_facts_check does after a deploy
    print(f"  purchase facts built in {time.perf_counter() - started:.1f} s")
started = time.perf_counter()
days = ledger_days_advance(zone)  # what the beat's analytics.tasks.ledger_days_advance does
print(f"  ledger days advanced ({days} days) in {time.perf_counter() - started:.1f} s")
above = LedgerEntry.objects.filter(pk__gt=LedgerDaysState.objects.get(pk=1).floor).count()
print(f"  {above} ledger entries above the days' floor (read from the ledger itself)")
today = timezone.localdate(timezone.now(), zone)
tomorrow = today + datetime.timedelta(days=1)
year = Period(tomorrow - datetime.timedelta(days=365), tomorrow)
months = Period((today.replace(day=1) - datetime.timedelta(days=335)).replace(day=1), tomorrow)
RAW = Sources(pending=None)  # counted from the purchases, as before the facts (points still
# from the ledger days: see "of which points" above for them)


def timed(work):
    started = time.perf_counter()
    work()
    return (time.perf_counter() - started) * 1000


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(name, work, runs):
    for _ in range(2):
        work()
    times = [timed(work) for _ in range(runs)]
    print(f"  {name}: p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms")


measure("summary (a year and the year before)", lambda: analytics_summary(year), RUNS)
measure("  of which purchase figures", lambda: figures.member_figures(year, zone), RUNS)
measure("  of which points", lambda: figures.points_figures(year, zone, 1), RUNS)
TIERS = ["bronze", "silver", "gold"]
measure("  of which tiers", lambda: figures.tier_figures(year, zone, TIERS), RUNS)
measure("  of which channels", lambda: figures.channel_mix(year, zone), RUNS)
measure("cohorts (12 months)", lambda: cohort_retention(months, zone), RUNS)

# The overview page as a marketer gets it: the summary, the chart's series, the page rendered.
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

marketer, _created = get_user_model().objects.get_or_create(
    email="bench-marketer@tessera.test", defaults={"is_staff": True}
)
marketer.groups.add(Group.objects.get(name="marketer"))
browser = Client(SERVER_NAME="localhost")  # an allowed host; https, as production serves
browser.force_login(marketer)
page = f"/analytics/?from={year.start.isoformat()}&to={year.end.isoformat()}"


def overview():
    answer = browser.get(page, headers={"accept-language": "es"}, secure=True)
    assert answer.status_code == 200, answer.status_code


measure("overview page (GET /analytics/, a year)", overview, RUNS)
print("counted from the purchases (no facts), for comparison:")
measure("summary (a year and the year before)", lambda: analytics_summary(year, RAW), 3)
measure("cohorts (12 months)", lambda: cohort_retention(months, zone, RAW), 3)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database a previous run built"
    )
    args = parser.parse_args()
    env = production_env(DB_NAME)
    if not args.keep:
        print(f"setting up {DB_NAME}...", flush=True)
        database_create(DB_NAME, env)
        started = time.monotonic()
        print(run([PYTHON, "-c", SETUP, str(args.members), str(args.purchases)], env=env).strip())
        print(run([PYTHON, "-c", EXTRA], env=env).strip(), flush=True)
        print(f"  in {time.monotonic() - started:.0f} s", flush=True)
    print(f"analytics on {args.members} members, {args.purchases} purchases:", flush=True)
    print(run([PYTHON, "-c", TIMED, str(args.runs)], env=env).rstrip(), flush=True)


if __name__ == "__main__":
    main()
