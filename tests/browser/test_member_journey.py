"""A member's whole journey in a real browser, in Spanish: sign up, verify by mail, see the
sign-up bonus; a purchase posted through the API shows in Activity with its explanation; redeem
a reward, see the voucher, cancel it and get the points back. Once on a laptop-sized window and
once at phone width (360 x 740). Each step is saved under test-artifacts/."""

import datetime
import json
import re
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from config.api.services import api_key_create
from loyalty.models import LoyaltyAccount
from loyalty.services.ledger import lots_mature
from loyalty.services.program import program_import
from members.models import Member
from rewards.apps import program_hook_register
from rewards.models import Voucher, VoucherStatus
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.loyalty import example_program_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"laptop": {"width": 1280, "height": 860}, "phone": {"width": 360, "height": 740}}
BOTTLE = "Una botella de tinto de la casa"  # the example program's `free-bottle`, 120 points


@pytest.fixture
def example_program(db):
    # tests/loyalty unregisters the process-wide catalog hook after its tests.
    program_hook_register()
    return program_import(text=example_program_text(), note="browser journey")


@pytest.fixture(params=list(VIEWPORTS))
def journey(browser: Browser, request):
    """A fresh context at the parametrized size, and a `shot(step)` that saves the page."""
    name = request.param
    context = browser.new_context(viewport=VIEWPORTS[name], locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(step: str) -> Path:
        path = ARTIFACTS / f"journey-{name}-{step}.png"
        page.screenshot(path=path, full_page=True)
        return path

    yield name, page, shot
    context.close()


def test_a_member_joins_in_spanish_earns_redeems_and_cancels(
    journey, live_server, smtp_outbox, example_program
):
    size, page, shot = journey
    email = f"lucia-{size}@example.com"

    # --- Sign up in Spanish, verify by the mailed link --------------------------------------
    page.goto(live_server.url)
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.get_by_role("link", name="Únase al programa").click()
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_first_name").fill("Lucía")
    shot("1-sign-up")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile("/accounts/confirm-email/$"))

    mail = smtp_outbox.wait_for_mail(to=email)
    (link,) = [link for link in mail.links() if "/accounts/confirm-email/" in link]
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)

    # --- The home page shows the sign-up bonus ----------------------------------------------
    page.goto(live_server.url + "/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hola, Lucía")
    expect(page.get_by_test_id("available-points")).to_have_text("100")
    expect(page.get_by_text("Bono de bienvenida por unirse al programa")).to_be_visible()
    assert_fits_the_screen(page)
    shot("2-home-bonus")

    # --- A purchase posted through the API, explained in Activity ---------------------------
    member = Member.objects.get(user__email=email)
    _key, raw_key = api_key_create(name="browser journey")
    receipt = f"T-{size}-0001"
    response = post_json(
        live_server.url + "/api/v1/purchases/",
        {
            "external_id": receipt,
            "member_number": member.member_number,
            "amount": "45.00",
            "currency": "EUR",
            "purchased_at": (timezone.now() - datetime.timedelta(minutes=5)).isoformat(),
            "channel": "store",
            "items": [
                {"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, "unit_price": "12.50"},
                {"sku": "QUESO-MANCHEGO", "category": "cheese", "quantity": 1, "unit_price": "20"},
            ],
        },
        key=raw_key,
    )
    assert response["points"] > 0, response

    page.get_by_role("link", name="Actividad", exact=True).click()
    purchase = page.get_by_role("link", name="Compra en tienda")
    expect(purchase).to_be_visible()
    purchase.click()  # htmx: the explanation opens in place
    explanation = page.locator(".movement__explanation .explanation")
    expect(explanation).to_contain_text(f"(tique {receipt})")
    expect(explanation).to_contain_text("Resultado:")
    assert page.url.endswith("/me/activity/")
    assert_fits_the_screen(page)
    shot("3-activity-explained")

    # The return window (14 days) is over: the purchase's points become available.
    lots_mature(member=member, at=timezone.now() + datetime.timedelta(days=15))
    balance = LoyaltyAccount.objects.get(member=member).available
    assert balance >= 120

    # --- Redeem a reward: confirm in place, the balance changes in place --------------------
    page.get_by_role("link", name="Recompensas", exact=True).click()
    expect(page.get_by_test_id("available-points")).to_have_text(points(balance))
    offer = page.locator("#reward-free-bottle")
    expect(offer).to_contain_text("Le alcanza")
    offer.get_by_role("link", name=re.compile("^Canjear")).click()
    confirm = offer.locator(".confirm")
    expect(confirm.get_by_role("heading")).to_have_text("¿Canjear esta recompensa?")
    expect(confirm).to_contain_text(f"Recompensa: {BOTTLE}")
    expect(confirm.get_by_role("heading")).to_be_focused()
    shot("4-redeem-confirm")
    confirm.get_by_role("button", name="Sí, gastar 120 puntos").dblclick()  # a double click

    expect(page.get_by_text(f"Recompensa canjeada: {BOTTLE}")).to_be_visible()
    expect(page.get_by_test_id("available-points")).to_have_text(points(balance - 120))
    assert page.url.endswith("/me/rewards/")
    assert Voucher.objects.filter(redemption__member=member).count() == 1  # redeemed once
    assert_fits_the_screen(page)
    shot("5-redeemed")

    # --- The voucher: code, QR, status; cancel it and get the points back --------------------
    page.get_by_role("link", name="Verlo en Mis vales").click()
    voucher = Voucher.objects.get(redemption__member=member)
    card = page.locator(f"#voucher-{voucher.code}")
    expect(card.get_by_test_id("voucher-code")).to_have_text(voucher.code.replace("-", ""))
    expect(card.get_by_test_id("voucher-status")).to_have_text("Listo para usar")
    qr = card.get_by_role("img", name=f"Código QR del vale {voucher.code}")
    expect(qr).to_be_visible()
    assert qr.evaluate("image => image.complete && image.naturalWidth > 0")
    assert_fits_the_screen(page)
    shot("6-voucher")

    card.get_by_role("link", name="Cancelar y recuperar mis puntos").click()
    card.get_by_role("button", name="Sí, cancelar el vale").click()
    expect(page.get_by_text("120 puntos han vuelto a su saldo")).to_be_visible()
    expect(page.get_by_test_id("available-points")).to_have_text(points(balance))
    expect(page.get_by_test_id("voucher-status")).to_have_text("Cancelado")
    shot("7-cancelled")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.CANCELLED
    assert LoyaltyAccount.objects.get(member=member).available == balance

    # The activity: one movement for the cancellation, naming the reward; one for spending.
    page.goto(f"{live_server.url}/me/activity/")
    expect(page.get_by_role("link", name=f"Vale cancelado: {BOTTLE}")).to_have_count(1)
    expect(page.get_by_role("link", name=f"Recompensa canjeada: {BOTTLE}")).to_have_count(1)
    expect(page.get_by_text("Corrección de un movimiento anterior")).to_have_count(0)
    page.get_by_role("link", name=f"Vale cancelado: {BOTTLE}").click()
    expect(page.get_by_text(voucher.code)).to_be_visible()
    assert_fits_the_screen(page)
    shot("8-activity-cancelled")


def points(value: int) -> str:
    assert value < 1000  # no grouping separator to spell out in these small balances
    return str(value)


def post_json(url: str, body: dict, *, key: str) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the live server's own http URL
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 201, response.status
        return json.loads(response.read())
