"""Benchmark: the delivery log's sending rate into a local SMTP sink, with real Celery workers.

    .venv/bin/python bench/sending.py [--messages 20000] [--workers 2] [--source campaign]

(bench/campaign.py calls `sending_bench` for its `--part sending`.)

Builds a fresh PostgreSQL database (`tessera_bench_sending`), imports the PROGRAM.md example
(without quiet hours, so the figure does not depend on the hour it runs), bulk-inserts members
who accept email and what is to be sent: with `--source campaign` (the default) an email
campaign to all of them, with merge fields in three languages and `--offer-points` (50) offered,
started (its rows queued by campaign_start); with `--source notice` an upgrade each and its
queued tier notice (the rows the tier.changed consumer writes). Starts an SMTP sink that
accepts and counts, and
`--workers` Celery worker processes (`celery -A config worker --pool=solo`, production
settings) on a queue of their own. Then kicks the send task and times from the first kick to
the last row sent. Prints mails/s, each worker's peak resident memory (VmHWM) and the workers'
CPU time per mail (steadier than the rate on a machine whose speed varies).
Target (issue 13): >= 300 mails/s with two workers. Each offered mail also gives its points in
the transaction that records it sent (an account lock and two ledger rows): run both,
`--offer-points 0` and the default, and `--source notice`.
"""

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from harness import PG, PYTHON, ROOT, _free_port, database_create, production_env, run

DB_NAME = "tessera_bench_sending"
QUEUE = "bench-sending"
UNSETTLED = "status IN ('queued', 'handing')"

SETUP = """
import django
django.setup()
from decimal import Decimal
from pathlib import Path
from django.db import transaction
from django.utils import timezone
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import LoyaltyAccount, TierChange
from loyalty.services.program import program_import
from members.models import Member, User

text = Path("loyalty/fixtures/example_program.yaml").read_text().replace(
    "  expiry:", '  communications:\\n    quiet_hours: {from: "00:00", to: "00:00"}\\n  expiry:', 1
)
program_import(text=text, note="bench")
now = timezone.now()
with transaction.atomic():
    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.com", first_name=f"Socio{n}", password="!")
         for n in range(%(messages)d)], batch_size=5000
    )
    members = Member.objects.bulk_create([
        Member(user=u, member_number=f"{n:013d}", referral_code=f"B{n:08d}", joined_at=now,
               language=("en", "es", "fr")[n %% 3], marketing_email_opt_in=True)
        for n, u in enumerate(users)
    ], batch_size=5000)
    LoyaltyAccount.objects.bulk_create(
        [LoyaltyAccount(member=m, tier_code="silver", tier_since=now) for m in members],
        batch_size=5000,
    )
if %(source)r == "campaign":
    from campaigns.services.campaigns import campaign_create, campaign_schedule, campaign_start
    from campaigns.services.segments import segment_create
    segment_create(code="all", names={"en": "All"}, match="all", rules=[])
    body = ("{{ first_name }}: {{ points }} ({{ pending_points }}), {{ tier }}, "
            "{{ amount_to_next_tier }} -> {{ next_tier }}; {{ expiring_points }} "
            "{{ expiring_on }}. {{ portal_url }} https://shop.example/offers")
    campaign = campaign_create(
        code="bench", name="Bench", segment="all",
        offer={"points": %(offer_points)d} if %(offer_points)d else None,
        content={lang: {"subject": f"{lang} {{{{ first_name }}}}", "body": f"{lang} {body}"}
                 for lang in ("en", "es", "fr")},
    )
    campaign_schedule(campaign=campaign)
    campaign_start(campaign_pk=campaign.pk, at=timezone.now())
else:
    changes = TierChange.objects.bulk_create([
        TierChange(member=m, from_code="bronze", to_code="silver", reason="upgrade",
                   qualifying_total=Decimal("600.00"), at=now, notified_at=now)
        for m in members
    ], batch_size=5000)
    deliveries_queue(
        delivery_new(member_id=c.member_id, automation="tier_change", occasion=str(c.pk),
                     channel="email")
        for c in changes
    )
"""

KICK = """
import django
django.setup()
from campaigns.tasks import deliveries_send
for _ in range(%(kicks)d):
    deliveries_send.apply_async(queue=%(queue)r)
"""


class CountingSink:
    """Accepts every mail and counts it; nothing parsed, so the sink costs little CPU."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


def _sql(query: str) -> str:
    return run(["psql", f"{PG}/{DB_NAME}", "-tAc", query]).strip()


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_start(number: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--loglevel=WARNING", "--without-mingle", "--without-gossip", "-Q", QUEUE,
         "--hostname", f"bench-send-{number}-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def sending_bench(
    *, messages: int = 20000, workers: int = 2, source: str = "campaign", offer_points: int = 50
) -> dict:
    """Build, send, measure; returns the figures (and prints them)."""
    sink = CountingSink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    env = production_env(DB_NAME, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(port))
    print(f"building {DB_NAME}: {messages} members, a queued {source} message each ...")
    database_create(DB_NAME, env)
    run(
        [
            PYTHON,
            "-c",
            SETUP % {"messages": messages, "source": source, "offer_points": offer_points},
        ],
        env=env,
    )
    queued = int(_sql("SELECT count(*) FROM campaigns_delivery WHERE status = 'queued'"))
    assert queued == messages, queued

    procs = [_worker_start(number, env) for number in range(workers)]
    time.sleep(8)  # the workers start (Django, Celery, the broker connection)
    try:
        cpu_before = sum(_cpu_seconds(proc.pid) for proc in procs)
        started = time.monotonic()
        # One task per worker runs until nothing is due; the spare ones find nothing.
        run([PYTHON, "-c", KICK % {"kicks": workers * 2, "queue": QUEUE}], env=env)
        while True:
            left = int(_sql(f"SELECT count(*) FROM campaigns_delivery WHERE {UNSETTLED}"))
            if left == 0:
                break
            if time.monotonic() - started > 1800:
                sys.exit("sending did not finish within 30 minutes")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        peaks = [_peak_mb(proc.pid) for proc in procs]
        cpu = sum(_cpu_seconds(proc.pid) for proc in procs) - cpu_before
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
        controller.stop()
    sent = int(_sql("SELECT count(*) FROM campaigns_delivery WHERE status = 'sent'"))
    figures = {
        "messages": messages,
        "source": source,
        "offer_points": offer_points if source == "campaign" else None,
        "workers": workers,
        "seconds": round(elapsed, 1),
        "mails_per_second": round(sent / elapsed, 1),
        "sent": sent,
        "sink_received": sink.count,
        "peak_worker_mb": [round(peak, 1) for peak in peaks],
        "worker_cpu_ms_per_mail": round(cpu * 1000 / max(sent, 1), 2),
    }
    print(
        f"{source}: sent {sent} of {messages} in {elapsed:.1f} s with {workers} workers: "
        f"{sent / elapsed:.0f} mails/s (target >= 300); sink received {sink.count}; "
        f"peak worker memory {', '.join(f'{peak:.0f} MB' for peak in peaks)}; "
        f"worker CPU {figures['worker_cpu_ms_per_mail']} ms per mail"
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--source", choices=["campaign", "notice"], default="campaign")
    parser.add_argument(
        "--offer-points", type=int, default=50, help="the campaign's offer (0: none)"
    )
    options = parser.parse_args()
    sending_bench(
        messages=options.messages,
        workers=options.workers,
        source=options.source,
        offer_points=options.offer_points,
    )


if __name__ == "__main__":
    main()
