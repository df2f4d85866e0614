"""`make run`'s first run on the embedded default (SQLite, tasks in-process, mail to the
console): the demo's history sends no mail, the automations' examples are there, and the
logins are the last thing printed."""

import os

from tests.test_settings import run_manage


def test_the_demo_load_is_quiet_and_ends_with_the_logins(tmp_path):
    env = {
        "DJANGO_DEBUG": "true",
        "DJANGO_SECRET_KEY": "demo-test-only",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PYTHONUNBUFFERED": "1",
        "REDIS_URL": "",
        "PATH": os.environ.get("PATH", ""),
    }
    migrated = run_manage("migrate", "--no-input", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    loaded = run_manage("demo_data", env=env)
    assert loaded.returncode == 0, loaded.stderr[-2000:]

    out = loaded.stdout
    assert "Subject:" not in out  # no mail printed for the demo's history
    assert len(out.splitlines()) < 30
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert "automations:" in last
    assert "Demo logins:" in out
    assert "marketer@tessera.test" in out

    # Each member's tier history, read in time order as the analytics read it, ends on the tier
    # their account holds; the forecast is fitted.
    checked = run_manage(
        "shell",
        "-c",
        "from loyalty.models import LoyaltyAccount, TierChange\n"
        "ends = {c.member_id: c.to_code for c in TierChange.objects.order_by('at', 'id')}\n"
        "wrong = [a.member_id for a in LoyaltyAccount.objects.all()"
        " if a.member_id in ends and ends[a.member_id] != a.tier_code]\n"
        "print('changes', len(ends), 'wrong', wrong)\n"
        "from analytics.models import ForecastRun\n"
        "print('forecasts', ForecastRun.objects.count())",
        env=env,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "wrong []" in checked.stdout, checked.stdout
    assert "changes 0 " not in checked.stdout
    assert "forecasts 1" in checked.stdout  # the forecast page has a fit to show
