"""What the benchmarks share: a fresh PostgreSQL database, production settings, gunicorn, wrk.

The figures come from wrk (Debian's package: a C load generator, so the client does not eat the
CPU it measures) through a Lua `done` hook that prints one RESULT line of JSON.
"""

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PG = os.environ.get("BENCH_PG", "postgres://postgres@localhost:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://localhost:6379/5")

# Appended to each benchmark's Lua script (LuaJIT: no `//` operator). `%%` because the scripts
# are %-formatted.
WRK_DONE = r"""
function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
"""

# Members, their accounts and nothing else, fast: bulk inserts. Printed: the member numbers.
MEMBERS_SETUP = """
import django
django.setup()
from django.db import transaction
from django.utils import timezone
from loyalty.models import LoyaltyAccount
from loyalty.services.program import program_import
from members.models import Member, User
from members.numbers import member_number_generate
from pathlib import Path

program_import(text=Path("loyalty/fixtures/example_program.yaml").read_text(), note="bench")
now = timezone.now()
with transaction.atomic():
    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.com", first_name=f"Socio{n}", password="!")
         for n in range(%(members)d)]
    )
    numbers = set()
    while len(numbers) < len(users):
        numbers.add(member_number_generate())
    members = Member.objects.bulk_create([
        Member(user=u, member_number=num, referral_code=f"B{n:06d}-X", joined_at=now,
               language="es")
        for n, (u, num) in enumerate(zip(users, sorted(numbers)))
    ])
    LoyaltyAccount.objects.bulk_create(
        [LoyaltyAccount(member=m, tier_code="bronze", tier_since=now) for m in members]
    )
"""


def run(cmd: list[str], env: dict | None = None) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def production_env(db_name: str, **extra: str) -> dict[str, str]:
    """Production settings (DEBUG off, Redis cache) plus bench/urls.py's floor view."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"{PG}/{db_name}",
        "REDIS_URL": REDIS,
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "600",
        **extra,
    }


def database_create(db_name: str, env: dict[str, str]) -> None:
    """Drop and create `db_name`, migrate it, collect static files."""
    run(["psql", f"{PG}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db_name}"])
    run(["psql", f"{PG}/postgres", "-qc", f"CREATE DATABASE {db_name}"])
    run([PYTHON, "manage.py", "migrate", "-v0"], env=env)
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], env=env)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int) -> Iterator[str]:
    """gunicorn with sync workers on a free port; yields its base URL once it answers."""
    port = _free_port()
    server = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/health/", timeout=1)
                break
            except urllib.error.HTTPError:
                break  # answering at all is enough (no beat runs here, so health says 503)
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def wrk(url: str, script: Path, *, seconds: int, connections: int) -> dict:
    """Run wrk with a script ending in WRK_DONE; its RESULT line as a dict."""
    out = run(["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-s", str(script), url])  # fmt: skip
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"wrk printed no result:\n{out}")
    return json.loads(line.removeprefix("RESULT "))
