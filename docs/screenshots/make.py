"""Screenshots for the README: the member portal and the marketer's side, in Spanish.

    .venv/bin/python docs/screenshots/make.py

Loads `make run`'s demo data into a throwaway SQLite database, gives the Spanish demo member
(ana@tessera.test) an unused voucher and two invited friends, starts the development server on a
free port and drives Debian's Chromium through home, activity (a purchase's explanation open),
rewards, vouchers, card and invite at phone width (360 px, whole pages); then, signed in as the
demo marketer, through the campaign list, the draft's editor (a merge field inserted with the
picker) and the sent campaign's figures, one phone screen each, and that campaign's page at a
modest desktop size; then the analytics overview of the last 30 days at phone width, its
headline figures and its revenue chart. Writes docs/screenshots/<page>.png, each reduced to a
256-colour palette so it stays well under 300 KB.
"""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
PYTHON = sys.executable
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 360, "height": 740}
DESKTOP = {"width": 1024, "height": 800}
MAX_BYTES = 300_000

SETUP = """
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from loyalty.services.ledger import points_adjust
from members.models import Member
from rewards.models import Reward, Voucher
from rewards.services.redemption import reward_redeem

ana = Member.objects.select_related("user", "loyalty_account").get(user__email="ana@tessera.test")
if not Voucher.objects.filter(redemption__member=ana, status="issued").exists():
    reward = Reward.objects.get(code="free-bottle")
    if ana.loyalty_account.available < reward.points_cost:
        points_adjust(member=ana, points=reward.points_cost, reason="demo", actor=None)
    reward_redeem(member=ana, reward=reward)
friends = list(Member.objects.exclude(pk=ana.pk).order_by("pk")[:2])
Member.objects.filter(pk__in=[friend.pk for friend in friends]).update(referred_by=ana)

def signed_in(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return session.session_key


marketer = ana.user.__class__.objects.get(email="marketer@tessera.test")
print(signed_in(ana.user), signed_in(marketer))
"""

PAGES = [
    ("home", "/me/", None),
    ("activity", "/me/activity/", "explain"),
    ("rewards", "/me/rewards/", None),
    ("vouchers", "/me/vouchers/", None),
    ("card", "/me/card/", None),
    ("invite", "/me/invite/", None),
]

# The marketer's side (campaigns/demo.py): the list whole, one phone screen of the editor and of
# the figures, then the campaign's page at a desktop size.
MARKETER_PAGES = [
    ("campaigns", "/staff/campaigns/", "whole", VIEWPORT),
    ("campaign-editor", "/staff/campaigns/new-year/edit/", "insert", VIEWPORT),
    ("campaign-figures", "/staff/campaigns/december-wines/", "figures", VIEWPORT),
    ("campaign-desktop", "/staff/campaigns/december-wines/", None, DESKTOP),
    # The analytics overview (the last 30 days): one phone screen of the headline figures, and
    # one of the revenue chart.
    ("analytics", "/analytics/", "headline", VIEWPORT),
    ("analytics-chart", "/analytics/", "chart", VIEWPORT),
]


def run(cmd: list[str], env: dict) -> str:
    result = subprocess.run(  # noqa: S603 - our own commands
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=1)  # noqa: S310 - our own local server
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer")


def shrink(path: Path) -> int:
    """A 256-colour palette: the portal's flat colours survive it, the file gets 3-4 x smaller."""
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )
    return path.stat().st_size


def cookies(base: str, session_key: str) -> list[dict]:
    return [
        {"name": "sessionid", "value": session_key, "url": base},
        {"name": "django_language", "value": "es", "url": base},
    ]


def save(page, name: str, *, full_page: bool) -> None:
    target = OUT / f"{name}.png"
    page.screenshot(path=target, full_page=full_page)
    size = shrink(target)
    print(f"{target.relative_to(ROOT)}  {size / 1000:.0f} KB", flush=True)
    if size > MAX_BYTES:
        sys.exit(f"{target.name} is {size} bytes, over {MAX_BYTES}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DJANGO_DEBUG": "true",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{tmp}/screenshots.sqlite3",
            "REDIS_URL": "",
            "EMAIL_HOST": "",
            "MEDIA_ROOT": f"{tmp}/media",
            "LOG_LEVEL": "WARNING",
        }
        print("loading the demo data...", flush=True)
        run([PYTHON, "manage.py", "migrate", "-v0"], env)
        run([PYTHON, "manage.py", "demo_data", "--force"], env)
        member_session, marketer_session = run([PYTHON, "-c", SETUP], env).split()[-2:]

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603 - our own command
            [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_for(f"{base}/health/")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
                )
                context = browser.new_context(
                    viewport=VIEWPORT, locale="es-ES", device_scale_factor=1
                )
                context.add_cookies(cookies(base, member_session))
                page = context.new_page()
                for name, path, action in PAGES:
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if action == "explain":
                        page.locator(".movement--earn .movement__title").first.click()
                        page.locator(".movement__explanation .explanation").first.wait_for()
                    save(page, name, full_page=True)
                context.close()
                for name, path, action, viewport in MARKETER_PAGES:
                    context = browser.new_context(
                        viewport=viewport, locale="es-ES", device_scale_factor=1
                    )
                    context.add_cookies(cookies(base, marketer_session))
                    page = context.new_page()
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    if action == "insert":
                        spanish = page.locator("fieldset[lang=es]")
                        body = spanish.locator("textarea")
                        body.fill("Hola {{ first_name }}:\n\nTiene  puntos para empezar el año.")
                        body.evaluate("area => area.setSelectionRange(30, 30)")
                        spanish.locator("select").select_option("points")
                        spanish.get_by_role("button").click()
                        spanish.evaluate("group => group.scrollIntoView()")
                    elif action == "figures":
                        page.locator("#figures-title").evaluate("title => title.scrollIntoView()")
                    elif action == "headline":
                        page.locator("#headline-heading").evaluate(
                            "title => title.scrollIntoView()"
                        )
                    elif action == "chart":
                        page.locator("canvas[data-chart]").first.wait_for()
                        page.locator("#series-heading").evaluate("title => title.scrollIntoView()")
                        # Chart.js draws on the next frames (and animates, 300 ms).
                        page.wait_for_timeout(800)
                    save(page, name, full_page=action == "whole")
                    context.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
