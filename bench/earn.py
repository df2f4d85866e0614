"""Benchmark: POST /api/v1/purchases/ against the floor of this machine.

    .venv/bin/python bench/earn.py [--seconds 20] [--rounds 2] [--connections 16] [--workers 4]

Builds a fresh PostgreSQL database (`tessera_bench`), imports the PROGRAM.md example, enrols
10,000 members, starts gunicorn with production settings (DEBUG off, Redis cache) and drives it
with wrk (Debian's package: a C load generator, so the client does not eat the CPU it measures)
from 16 connections. Rounds alternate between Tessera's endpoint and two floors, each for
`--seconds`: the floor view of bench/urls.py (the same writes in raw SQL, no auth, no scoring)
under the project's own gunicorn and middleware, and the bare floor of bench/urls_bare.py (the
same writes in the purchase path's two statements) in a Django app with no middleware at all,
under a gunicorn of its own with the same workers (issue 12). Prints requests/s and p50/p95/p99
latency for each and the ratios to both floors.
Targets (issue 3): throughput >= 0.5 x floor, p95 <= 2 x floor.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from harness import (
    MEMBERS_SETUP,
    PYTHON,
    WRK_DONE,
    database_create,
    gunicorn,
    production_env,
    run,
    wrk,
)

DB_NAME = "tessera_bench"
MEMBERS = 10_000

LUA = (
    r"""
local counter = 0
local threads = {}
local numbers = {%(numbers)s}
local key = "%(key)s"
local prefix = "%(prefix)s"

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(tid * 7919)
end

function request()
  counter = counter + 1
  local number = numbers[math.random(#numbers)]
  local cents = math.random(2500, 15000)  -- the item lines are worth 25.00
  local body = string.format(
    '{"external_id": "%%s-%%d-%%d", "member_number": "%%s", "amount": "%%d.%%02d", ' ..
    '"currency": "EUR", "purchased_at": "%(purchased_at)s", "channel": "store", ' ..
    '"items": [{"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, ' ..
    '"unit_price": "12.50"}]}',
    prefix, tid, counter, number, math.floor(cents / 100), cents %% 100)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, body)
end
"""
    + WRK_DONE
)


# Printed after the members: the API key, then the member numbers.
SETUP = (
    MEMBERS_SETUP
    + """
from config.api.services import api_key_create
_key, raw = api_key_create(name="bench")
print(raw)
print(",".join(m.member_number for m in members))
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    env = production_env(DB_NAME, API_RATE_LIMIT="100000000/min")
    print(f"setting up {DB_NAME} with {MEMBERS} members...", flush=True)
    database_create(DB_NAME, env)
    lines = run([PYTHON, "-c", SETUP % {"members": MEMBERS}], env=env).split()
    key, numbers = lines[-2], lines[-1].split(",")
    print(f"key {key[:16]}..., {len(numbers)} members", flush=True)

    bare_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.settings_bare"}
    with (
        gunicorn(env, workers=args.workers) as base,
        gunicorn(bare_env, workers=args.workers) as bare_base,
    ):
        targets = {
            "tessera": (base, "/api/v1/purchases/"),
            "floor": (base, "/bench/floor/"),
            "bare": (bare_base, "/bench/floor/"),
        }
        results: dict[str, list[dict]] = {name: [] for name in targets}
        # Live purchases, as a till posts them: after the members joined (an older time would
        # be a backdated purchase, which reads the member's tier history).
        purchased_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() + 1))
        with tempfile.TemporaryDirectory() as tmp:
            for round_ in range(args.rounds + 1):  # round 0 warms up both and is not counted
                for name, (server, path) in targets.items():
                    script = Path(tmp) / f"{name}{round_}.lua"
                    script.write_text(LUA % {
                        "numbers": ",".join(f'"{n}"' for n in numbers),
                        "key": key,
                        "prefix": f"{name}{round_}",
                        "purchased_at": purchased_at,
                    })  # fmt: skip
                    seconds = 5 if round_ == 0 else args.seconds
                    result = wrk(
                        f"{server}{path}", script, seconds=seconds, connections=args.connections
                    )
                    if round_:
                        results[name].append(result)
                        rps = result["requests"] / result["seconds"]
                        print(
                            f"round {round_} {name:8} {rps:8.1f} req/s  "
                            f"p95 {result['p95']:6.1f} ms  errors {result['errors']}",
                            flush=True,
                        )

    def summary(name):
        rounds = results[name]
        rps = sum(r["requests"] for r in rounds) / sum(r["seconds"] for r in rounds)
        pct = {p: sorted(r[p] for r in rounds)[len(rounds) // 2] for p in ("p50", "p95", "p99")}
        errors = sum(r["errors"] for r in rounds)
        return rps, pct, errors

    print(f"\n{args.connections} connections, gunicorn {args.workers} sync workers, "
          f"{args.rounds} x {args.seconds}s per target, alternating\n")  # fmt: skip
    print(f"{'':10}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'errors':>8}")
    figures = {}
    for name in results:
        rps, pct, errors = summary(name)
        figures[name] = (rps, pct)
        print(
            f"{name:10}{rps:10.1f}{pct['p50']:10.1f}{pct['p95']:10.1f}{pct['p99']:10.1f}{errors:8d}"
        )
    t_rps, t_pct = figures["tessera"]
    for floor in ("floor", "bare"):
        f_rps, f_pct = figures[floor]
        print(f"\nthroughput ratio tessera/{floor}: {t_rps / f_rps:.2f}  (target >= 0.5)")
        print(f"p95 ratio tessera/{floor}:   {t_pct['p95'] / f_pct['p95']:.2f}  (target <= 2.0)")


if __name__ == "__main__":
    main()
