"""Benchmark: segments (and, as parts are added, campaigns) on 100,000 members and 1,000,000
purchases in PostgreSQL.

    .venv/bin/python bench/campaign.py [--members 100000] [--purchases 1000000] [--part segments]
                                       [--runs 20] [--keep]

Builds a fresh database (`tessera_bench_campaign`), imports the PROGRAM.md example program and
generates the data with bulk SQL (INSERT ... SELECT over generate_series: seconds, not the API's
hours): members with their accounts (random tiers and balances, languages, consents, birthdays,
joining dates over four years), purchases over the last two years (5 % fully and 5 % partly
refunded, every channel, items of four categories, a few members buying much more than most) and
a churn forecast for 60 % of the members. The ledger is not generated: segments read balances
from the accounts, never the entries.

Parts (`--part`, default all), each printing its own figures:

- `segments`: for each segment below, the count's p50 and p95 over `--runs` runs (after two
  warm-up runs) through campaigns.selectors.segments.segment_count, i.e. one SQL query each,
  plus the RFM groups of everyone and a first page of members with their groups.
  Target (issue 13): p95 < 300 ms for the five-rule segment.

- `queue`: the time to queue a campaign to every member (campaign_start: the segment resolved
  and one delivery row per member written in one transaction), now and at a local time.
  Target (issue 13): < 30 s for 100,000 members.

The sending rate (mails per second into an SMTP sink from two workers) is bench/sending.py.
"""

import argparse
import time

from harness import PYTHON, database_create, production_env, run

DB_NAME = "tessera_bench_campaign"

SETUP = r"""
import sys
import django
django.setup()
from pathlib import Path
from django.db import connection
from loyalty.services.program import program_import
from loyalty.models import ProgramVersion
from members.models import Member

program_import(text=Path("loyalty/fixtures/example_program.yaml").read_text(), note="bench")
version = ProgramVersion.objects.order_by("-number").first()
MEMBERS, PURCHASES = int(sys.argv[1]), int(sys.argv[2])

def literal(field):
    # A column this script does not fill (one another part of the project adds, say) gets its
    # model default, so the generator keeps working as Member grows.
    default = field.get_default()
    if default is None:
        return "NULL"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, (int, float)):
        return str(default)
    return "'" + str(default).replace("'", "''") + "'"

# Each column drawn from a hash of the id with its own salt, so combined rules select real
# intersections (the tier alone follows id % 10).
MEMBER_COLUMNS = {
    "user_id": "u.id",
    "member_number": "lpad(u.id::text, 13, '0')",
    "phone": "''",
    "birth_day": "CASE WHEN u.id % 5 = 0 THEN NULL ELSE 1 + u.id % 28 END",
    "birth_month": "CASE WHEN u.id % 5 = 0 THEN NULL"
    " ELSE 1 + (hashtext('b' || u.id) & 2147483647) % 12 END",
    "birth_year": "NULL",
    "language": "(ARRAY['en', 'es', 'fr'])[1 + (hashtext('l' || u.id) & 2147483647) % 3]",
    "marketing_email_opt_in": "(hashtext('e' || u.id) & 2147483647) % 10 < 6",
    "marketing_sms_opt_in": "(hashtext('s' || u.id) & 2147483647) % 10 < 3",
    "referral_code": "'B' || u.id",
    "referred_by_id": "NULL",
    "joined_at": "now() - (u.id % 1460) * interval '1 day'"
    " - (u.id % 86400) * interval '1 second'",
    "status": "'active'",
    "blocked_reason": "''",
    "blocked_at": "NULL",
    "blocked_by_id": "NULL",
}
fields = [f for f in Member._meta.concrete_fields if not f.primary_key]
columns = ", ".join(f.column for f in fields)
values = ", ".join(MEMBER_COLUMNS.get(f.column) or literal(f) for f in fields)

with connection.cursor() as cursor:
    cursor.execute(
        "INSERT INTO members_user (password, is_superuser, email, first_name, last_name, is_staff,"
        " is_active, date_joined)"
        " SELECT '!', false, CASE WHEN n %% 200 = 0 THEN 'erased-' || n || '@invalid'"
        " ELSE 'bench' || n || '@example.com' END, 'Socio' || n, 'Bench', false, n %% 200 <> 0,"
        " now() FROM generate_series(1, %s) AS n", [MEMBERS])
    cursor.execute(
        f"INSERT INTO members_member ({columns}) SELECT {values} FROM members_user u"
        " WHERE u.email LIKE 'bench%' OR u.email LIKE 'erased-%'")
    cursor.execute(
        "INSERT INTO loyalty_loyaltyaccount (member_id, available, pending, lifetime, debt,"
        " tier_code, tier_since, tier_review_on, updated_at)"
        " SELECT id, (id * 7919) % 5000, 0, (id * 7919) % 5000 + (id * 104729) % 20000, 0,"
        " CASE WHEN id % 10 < 6 THEN 'bronze' WHEN id % 10 < 9 THEN 'silver' ELSE 'gold' END,"
        " joined_at, NULL, now() FROM members_member")
    # Purchases: a member drawn with a skew (the square of a uniform number) so some members
    # buy often and many rarely; dated over the last two years.
    cursor.execute(
        "INSERT INTO loyalty_purchase (external_id, member_id, amount, currency, purchased_at,"
        " channel, items, program_version_id, tier_code, points, earned_points, breakdown,"
        " fingerprint, refunded_amount, created_at)"
        " SELECT 'b-' || n, m.first_id + floor(power(random(), 2) * m.total)::bigint,"
        " a.amount, 'EUR', now() - random() * interval '730 days',"
        " (ARRAY['store', 'online', 'app'])[1 + n %% 3],"
        " jsonb_build_array(jsonb_build_object('sku', 'SKU-' || n %% 50,"
        "   'category', (ARRAY['wine', 'cheese', 'bread', 'oil'])[1 + (n / 3) %% 4],"
        "   'quantity', 1, 'unit_price', '5.00')),"
        " %s, 'bronze', floor(a.amount)::bigint, floor(a.amount)::bigint, '[]'::jsonb,"
        " md5(n::text),"
        " CASE WHEN n %% 20 = 0 THEN a.amount WHEN n %% 20 = 1 THEN round(a.amount / 2, 2)"
        " ELSE 0 END, now()"
        " FROM generate_series(1, %s) AS n,"
        " (SELECT min(id) AS first_id, count(*) AS total FROM members_member) AS m,"
        # Naming n makes the subquery run per row (an uncorrelated one runs once).
        " LATERAL (SELECT round((5 + random() * 245 + 0 * n)::numeric, 2) AS amount) AS a",
        [version.pk, PURCHASES])
    cursor.execute(
        "INSERT INTO analytics_memberforecast (member_id, churn_risk, computed_at)"
        " SELECT id, (ARRAY['low', 'medium', 'high'])[1 + (hashtext('r' || id) & 2147483647) % 3],"
        " now()"
        " FROM members_member WHERE (hashtext('f' || id) & 2147483647) % 10 < 6")
    # Autovacuum would set the visibility map in time; the index-only scans need it.
    cursor.execute("VACUUM ANALYZE")
    cursor.execute("SELECT count(*) FROM members_member")
    members = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM loyalty_purchase")
    purchases = cursor.fetchone()[0]
print(f"generated {members} members, {purchases} purchases")
"""

SEGMENTS = r"""
import sys
import django
django.setup()
import json, statistics, time
from campaigns.models import Segment
from campaigns.segment_query import Moment, rfm_groups_all, rfm_groups_for
from campaigns.selectors.segments import segment_count, segment_members

RUNS = int(sys.argv[1])
SEGMENTS = {
    "five-rule": ("all", [
        {"field": "tier", "op": "in", "value": ["silver", "gold"]},
        {"field": "days_since_last_purchase", "op": "lte", "value": 60},
        {"field": "purchases", "op": "gte", "value": 2, "window_days": 365},
        {"field": "spend", "op": "gte", "value": "100.00", "window_days": 180},
        {"field": "consent", "op": "eq", "value": "email"},
    ]),
    "lapsed-silver (spec)": ("all", [
        {"field": "tier", "op": "in", "value": ["silver", "gold"]},
        {"field": "days_since_last_purchase", "op": "gte", "value": 90},
        {"field": "purchases", "op": "gte", "value": 2, "window_days": 365},
        {"field": "consent", "op": "eq", "value": "email"},
    ]),
    "wine buyers, es, 90 days": ("all", [
        {"field": "category", "op": "eq", "value": "wine", "window_days": 90},
        {"field": "language", "op": "eq", "value": "es"},
    ]),
    "few purchases (no purchase counts)": ("all", [
        {"field": "purchases", "op": "lte", "value": 1, "window_days": 365},
        {"field": "channel", "op": "ne", "value": "online"},
    ]),
    "average order, any": ("any", [
        {"field": "average_order_value", "op": "gte", "value": "150.00"},
        {"field": "churn_risk", "op": "eq", "value": "high"},
        {"field": "birthday_month", "op": "eq", "value": "current"},
    ]),
    "rfm champions": ("all", [{"field": "rfm_group", "op": "eq", "value": "champions"}]),
    "rfm at_risk + consent": ("all", [
        {"field": "rfm_group", "op": "in", "value": ["at_risk", "lost"]},
        {"field": "consent", "op": "eq", "value": "email"},
    ]),
}

def timed(work):
    started = time.perf_counter()
    result = work()
    return (time.perf_counter() - started) * 1000, result

def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

figures = {}
for code, (match, rules) in SEGMENTS.items():
    segment = Segment(code="bench", name_en=code, match=match, rules=rules)
    for _ in range(2):
        segment_count(segment=segment)
    times, count = [], None
    for _ in range(RUNS):
        # Moment.at() reads the program each time, as a live count does.
        elapsed, count = timed(lambda: segment_count(segment=segment))
        times.append(elapsed)
    figures[code] = {"count": count, "p50_ms": round(statistics.median(times), 1),
                     "p95_ms": round(percentile(times, 0.95), 1)}
    print(f"  {code:36} {count:7d} members   p50 {figures[code]['p50_ms']:7.1f} ms"
          f"   p95 {figures[code]['p95_ms']:7.1f} ms", flush=True)

moment = Moment.at()
times = [timed(lambda: rfm_groups_all(moment=moment))[0] for _ in range(5)]
groups = rfm_groups_all(moment=moment)
print(f"  RFM groups of all {len(groups)} scored members: p50 {statistics.median(times):.1f} ms")
segment = Segment(code="bench", name_en="x", match="all", rules=SEGMENTS["five-rule"][1])
def page():
    members = list(segment_members(segment=segment, moment=moment)[:50])
    return rfm_groups_for(member_ids=[m.pk for m in members], moment=moment)
times = [timed(page)[0] for _ in range(5)]
print(f"  first page of 50 members with their RFM groups: p50 {statistics.median(times):.1f} ms")
print("RESULT " + json.dumps(figures))
"""


def part_segments(env: dict, args) -> None:
    print(f"segment counts, {args.runs} runs each:", flush=True)
    out = run([PYTHON, "-c", SEGMENTS, str(args.runs)], env=env)
    print("\n".join(line for line in out.splitlines() if not line.startswith("RESULT ")))


QUEUE = r"""
import sys, time, datetime, resource
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from campaigns.models import Campaign, Delivery, Segment
from campaigns.services.campaigns import campaign_create, campaign_schedule, campaign_start
from campaigns.services.segments import segment_create

Delivery.objects.filter(campaign__code__startswith="bench-queue").delete()
Campaign.objects.filter(code__startswith="bench-queue").delete()
Segment.objects.filter(code="bench-everyone").delete()
segment_create(code="bench-everyone", names={"en": "Everyone"}, match="all", rules=[])
content = {"en": {"subject": "Hi {{ first_name }}", "body": "You have {{ points }} points."}}
for code, local_time in (("bench-queue", None), ("bench-queue-local", datetime.time(10, 0))):
    campaign = campaign_create(code=code, name=code, segment="bench-everyone", content=content,
                               holdout_percent=10)
    campaign_schedule(campaign=campaign, local_time=local_time)
    started = time.perf_counter()
    assert campaign_start(campaign_pk=campaign.pk, at=timezone.now())
    elapsed = time.perf_counter() - started
    rows = Delivery.objects.filter(campaign=campaign).count()
    label = "at each member's 10:00" if local_time else "now"
    rate = rows / elapsed
    print(f"  queue a campaign ({label}): {rows} rows in {elapsed:.1f} s ({rate:,.0f} rows/s)",
          flush=True)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"  peak resident memory of the queueing process: {peak:.0f} MB")
"""


def part_queue(env: dict, args) -> None:
    """Queueing: campaign_start on a segment of every member (the segment resolved, a holdout
    of 10 %, one delivery row each, in one transaction), now and at a local time.
    Target (issue 13): < 30 s for 100,000 members."""
    print("queueing a campaign to every member:", flush=True)
    print(run([PYTHON, "-c", QUEUE], env=env).rstrip(), flush=True)


PARTS = {"segments": part_segments, "queue": part_queue}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--part", choices=sorted(PARTS), action="append")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database a previous run built"
    )
    args = parser.parse_args()
    env = production_env(DB_NAME)
    if not args.keep:
        print(f"setting up {DB_NAME}...", flush=True)
        database_create(DB_NAME, env)
        started = time.monotonic()
        sizes = [str(args.members), str(args.purchases)]
        print(run([PYTHON, "-c", SETUP, *sizes], env=env).strip(), flush=True)
        print(f"  in {time.monotonic() - started:.0f} s", flush=True)
    for name in args.part or sorted(PARTS):
        PARTS[name](env, args)


if __name__ == "__main__":
    main()
