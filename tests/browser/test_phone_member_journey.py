# ruff: noqa: RUF001 - French text uses the typographic apostrophe, as its catalogue does.
"""What members expect on a phone (issue 15), in Spanish and in French (the browser's language)
on a 360 px screen: signed in, a member lands on their own home (points, tier, progress, greeted
by first name, a navigation to the rest), and so does a signed-in member opening "/"; staff land
on the console. The catalog shows the rewards' images; the vouchers work offline with their QR
codes once seen, and signing out forgets them; a lock-out says for how long and links to a new
password; the consent given at sign-up is in the profile's history. Each step is saved under
test-artifacts/."""

import io
import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from loyalty.services.program import program_import
from members.models import ConsentChange, Member
from members.roles import CASHIER, roles_install
from rewards.apps import program_hook_register
from rewards.models import Reward
from rewards.services.redemption import reward_redeem
from tests.browser.test_smoke import assert_fits_the_screen
from tests.conftest import PASSWORD
from tests.factories.loyalty import example_program_text
from tests.factories.members import StaffUserFactory, portal_member_create
from tests.factories.rewards import points_give

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCALES = {"es": "es-ES", "fr": "fr-FR"}
FIRST_NAMES = {"es": "Lucía", "fr": "Chloé"}
TEXT = {
    "es": {
        "hello": "Hola, Lucía",
        "available": "Puntos disponibles",
        "tier": "Nivel",
        "bronze": "Bronce",
        "progress": "Progreso hacia Plata",
        "nav": "Mi cuenta",
        "rewards": ("Recompensas", "Recompensas"),
        "vouchers": ("Mis vales", "Mis vales"),
        "card": ("Tarjeta", "Tarjeta de socio"),
        "console": "Buscar un socio",
        "bottle": "Una botella de tinto de la casa",
        "offline": "Está sin conexión: estos son sus vales tal como se cargaron por última vez, "
        "el ",
        "qr": "Código QR del vale {code}",
        "sign_out": "Cerrar sesión",
        "locked": "Demasiados intentos fallidos de inicio de sesión. "
        "Vuelva a intentarlo dentro de 5 minutos.",
        "reset": "Elija una contraseña nueva",
        "reset_heading": "Restablecer la contraseña",
        "join": "Únase al programa",
        "email_agreed": "correo electrónico: aceptado",
        "sms_declined": "SMS: rechazado",
        "signup": "(alta)",
    },
    "fr": {
        "hello": "Bonjour, Chloé",
        "available": "Points disponibles",
        "tier": "Niveau",
        "bronze": "Bronze",
        "progress": "Progression vers Argent",
        "nav": "Mon compte",
        "rewards": ("Récompenses", "Récompenses"),
        "vouchers": ("Mes bons", "Mes bons"),
        "card": ("Carte", "Carte de membre"),
        "console": "Trouver un membre",
        "bottle": "Une bouteille de rouge maison",
        "offline": "Vous êtes hors ligne : voici vos bons tels qu’ils ont été chargés pour la "
        "dernière fois, le ",
        "qr": "Code QR du bon {code}",
        "sign_out": "Se déconnecter",
        "locked": "Trop de tentatives de connexion échouées. Réessayez dans 5 minutes.",
        "reset": "Choisir un nouveau mot de passe",
        "reset_heading": "Réinitialiser le mot de passe",
        "join": "Rejoindre le programme",
        "email_agreed": "e-mail : accepté",
        "sms_declined": "SMS : refusé",
        "signup": "(inscription)",
    },
}


@pytest.fixture(params=["es", "fr"])
def language(request) -> str:
    return request.param


@pytest.fixture
def page(browser: Browser, language: str):
    """The conftest's small phone, whose browser asks for `language` (Accept-Language)."""
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale=LOCALES[language])
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def example_program(transactional_db):
    # tests/loyalty unregisters the process-wide catalog hook after its tests.
    program_hook_register()
    return program_import(text=example_program_text(), note="phone journey")


@pytest.fixture
def member(example_program, language) -> Member:
    """A member with the sign-up bonus and enough points for a bottle (Bronze, Silver next)."""
    member = portal_member_create(
        email=f"member-{language}@example.com", first_name=FIRST_NAMES[language], language=language
    )
    points_give(member, 200)
    return member


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def sign_in(page: Page, live_server, email: str, *, next_url: str = "") -> None:
    login = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    page.goto(live_server.url + login)
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("user-email")).to_have_text(email)


def image_is_drawn(locator) -> bool:
    return locator.evaluate("image => image.complete && image.naturalWidth > 0")


def wait_until_drawn(page: Page, locator) -> None:
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=locator.element_handle()
    )


# --- Item 1: where a sign-in lands -------------------------------------------------------------


def test_a_member_lands_on_their_own_home_and_finds_the_rest_from_it(
    page: Page, live_server, member, language, screenshot
):
    text = TEXT[language]

    sign_in(page, live_server, member.user.email)

    expect(page).to_have_url(live_server.url + reverse("members:home"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_own_home(page, text, points="300")
    assert_fits_the_screen(page)
    screenshot("1-home")

    nav = page.get_by_role("navigation", name=text["nav"])
    for link, heading in (text["rewards"], text["vouchers"], text["card"]):
        nav.get_by_role("link", name=link, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(nav.get_by_role("link", name=link, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        assert_fits_the_screen(page)

    # Signed in, the program's front door leads home too.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + reverse("members:home"))
    assert_own_home(page, text, points="300")
    screenshot("2-front-door")


def assert_own_home(page: Page, text: dict, *, points: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text["hello"])
    expect(page.get_by_text(text["available"], exact=True)).to_be_visible()
    expect(page.get_by_test_id("available-points")).to_have_text(points)
    expect(page.locator(".balance-card__facts")).to_contain_text(text["tier"])
    expect(page.locator(".tier-badge")).to_have_text(text["bronze"])
    expect(page.get_by_label(text["progress"])).to_be_visible()  # the <progress> bar


def test_staff_land_on_the_console(page: Page, live_server, language, screenshot):
    roles_install()  # a transactional test's database was flushed
    cashier = StaffUserFactory(email="cashier@example.com", password=PASSWORD)
    cashier.groups.add(Group.objects.get(name=CASHIER))
    EmailAddress.objects.create(user=cashier, email=cashier.email, verified=True, primary=True)

    sign_in(page, live_server, cashier.email)

    expect(page).to_have_url(live_server.url + reverse("staff:search"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TEXT[language]["console"])
    assert_fits_the_screen(page)
    screenshot("console")
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + reverse("staff:search"))


# --- Item 6: images, offline vouchers, lock-out, consents --------------------------------------


def reward_picture(colour: str) -> bytes:
    image = Image.new("RGB", (640, 400), colour)
    ImageDraw.Draw(image).rounded_rectangle((40, 280, 600, 360), radius=24, fill="#1f2937")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_catalog_shows_each_rewards_image(
    page: Page, live_server, member, media_root, language, screenshot
):
    # Bronze sees free-bottle, cashback-5 and ten-off: two with an image, one without.
    colours = ["#fee2e2", "#dcfce7"]
    pictured = [Reward.objects.get(code=code) for code in ("free-bottle", "cashback-5")]
    for reward, colour in zip(pictured, colours, strict=True):
        name = f"rewards/{reward.code}.png"
        reward.image.name = default_storage.save(name, ContentFile(reward_picture(colour)))
        reward.save(update_fields=["image"])
    without = Reward.objects.get(code="ten-off")
    sign_in(page, live_server, member.user.email)

    page.goto(live_server.url + reverse("members:rewards"))
    for reward in pictured:
        image = page.locator(f"#reward-{reward.code} img.offer__image")
        image.scroll_into_view_if_needed()  # loaded lazily
        expect(image).to_have_attribute("alt", reward.localized_name(language))
        expect(image).to_be_visible()
        wait_until_drawn(page, image)
        assert image.evaluate("image => image.naturalWidth") == 640
        width = image.evaluate("image => image.getBoundingClientRect().width")
        assert 250 < width <= 360, width  # the phone's width, less the card's padding
    expect(page.locator(f"#reward-{without.code}")).to_be_visible()
    expect(page.locator(f"#reward-{without.code} img")).to_have_count(0)
    page.locator(f"#reward-{pictured[0].code}").scroll_into_view_if_needed()
    assert_fits_the_screen(page)
    screenshot("1-catalog")

    # The reward's own page shows it too.
    bottle = Reward.objects.get(code="free-bottle")
    page.goto(live_server.url + reverse("members:redeem", args=[bottle.code]))
    image = page.locator("img.offer__image")
    expect(image).to_have_attribute("alt", TEXT[language]["bottle"])
    expect(image).to_be_visible()
    wait_until_drawn(page, image)
    assert_fits_the_screen(page)
    screenshot("2-reward-page")


def saved_offline(page: Page, *paths: str) -> bool:
    return page.evaluate(
        """async (paths) => {
            for (const path of paths) {
                if (!(await caches.match(path))) return false;
            }
            return true;
        }""",
        list(paths),
    )


def saved_caches(page: Page) -> list[str]:
    return page.evaluate(
        "async () => (await caches.keys()).filter((key) => key.startsWith('tessera-'))"
    )


def eventually(check, what: str, *, seconds: float = 10) -> None:
    """Waits until `check()` is true (page.wait_for_function would take a Promise for true)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not {what} after {seconds} s"
        time.sleep(0.1)


@pytest.mark.parametrize("first_visit", ["after-home", "straight-from-sign-in"])
def test_the_vouchers_work_offline_once_seen_and_go_with_signing_out(
    page: Page, live_server, member, language, first_visit, screenshot
):
    text = TEXT[language]
    voucher = reward_redeem(member=member, reward=Reward.objects.get(code="free-bottle")).voucher
    vouchers = reverse("members:vouchers")
    qr = reverse("voucher-qr", kwargs={"code": voucher.code})

    if first_visit == "after-home":
        # The home registers the service worker; the vouchers page is then saved as it loads.
        sign_in(page, live_server, member.user.email)
        page.evaluate("async () => { await navigator.serviceWorker.ready; }")
        page.wait_for_function("() => !!navigator.serviceWorker.controller")
        page.get_by_role("link", name=text["vouchers"][0], exact=True).click()
    else:
        # The vouchers page is the first one: loaded before the worker existed, it is saved
        # when the worker is ready (portal.js asks it to).
        sign_in(page, live_server, member.user.email, next_url=vouchers)
        expect(page).to_have_url(live_server.url + vouchers)
    card = page.locator(f"#voucher-{voucher.code}")
    expect(card.get_by_test_id("voucher-code")).to_have_text(voucher.code.replace("-", ""))
    eventually(lambda: saved_offline(page, vouchers, qr), "saved for offline use")

    page.context.set_offline(True)
    page.reload()

    expect(page.get_by_role("heading", level=1)).to_have_text(text["vouchers"][1])
    expect(card.get_by_test_id("voucher-code")).to_have_text(voucher.code.replace("-", ""))
    image = card.get_by_role("img", name=text["qr"].format(code=voucher.code))
    expect(image).to_be_visible()
    assert image_is_drawn(image)
    note = page.locator("[data-offline-note]")
    expect(note).to_be_visible()
    expect(note).to_contain_text(text["offline"])
    assert_fits_the_screen(page)
    screenshot("1-offline")

    # Back online, the note goes; signing out (here from a page without the portal's script)
    # makes the browser forget the saved pages.
    page.context.set_offline(False)
    expect(note).to_be_hidden()
    assert saved_caches(page)
    page.goto(live_server.url + reverse("legal", args=["privacy"]))
    page.get_by_role("button", name=text["sign_out"]).click()
    expect(page.get_by_test_id("user-email")).to_have_count(0)
    eventually(lambda: not saved_caches(page), "forgotten")
    assert not saved_offline(page, vouchers)
    assert (
        page.evaluate("async () => (await navigator.serviceWorker.getRegistrations()).length") == 0
    )

    page.context.set_offline(True)
    with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(live_server.url + vouchers)
    page.context.set_offline(False)


def failed_logins_allowed_per_account() -> int:
    rates = settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
    return next(int(rate.split("/")[0]) for rate in rates if rate.endswith("/key"))


def test_a_locked_out_member_is_told_for_how_long_and_can_set_a_new_password(
    page: Page, live_server, member, language, screenshot
):
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"].endswith("/5m/key")  # 5 minutes
    text = TEXT[language]
    page.goto(live_server.url + reverse("account_login"))
    for _ in range(failed_logins_allowed_per_account()):
        page.locator("#id_login").fill(member.user.email)
        page.locator("#id_password").fill("not-my-password")
        page.locator("main form button[type=submit]").click()
        expect(page.locator(".form-errors")).to_be_visible()

    page.locator("#id_login").fill(member.user.email)
    page.locator("#id_password").fill(PASSWORD)  # the right one, too late
    page.locator("main form button[type=submit]").click()

    alert = page.locator(".form-errors")
    expect(alert).to_contain_text(text["locked"])
    expect(page.get_by_test_id("user-email")).to_have_count(0)
    assert_fits_the_screen(page)
    screenshot("1-locked-out")
    alert.get_by_role("link", name=text["reset"]).click()
    expect(page).to_have_url(live_server.url + reverse("account_reset_password"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text["reset_heading"])


def test_the_consent_given_at_sign_up_is_in_the_profiles_history(
    page: Page, live_server, example_program, smtp_outbox, language, screenshot
):
    text = TEXT[language]
    email = f"new-{language}@example.com"
    page.goto(live_server.url)
    page.get_by_role("link", name=text["join"]).first.click()
    page.locator("#id_email").fill(email)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#id_first_name").fill(FIRST_NAMES[language])
    page.locator("#id_marketing_email_opt_in").check()
    page.locator("main form button[type=submit]").click()
    mail = smtp_outbox.wait_for_mail(to=email)
    (link,) = [link for link in mail.links() if "/accounts/confirm-email/" in link]
    page.goto(link)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text["hello"])

    page.goto(live_server.url + reverse("members:profile"))
    history = page.locator(".consent-history")
    history.scroll_into_view_if_needed()
    expect(history.locator("li", has_text=text["email_agreed"])).to_contain_text(text["signup"])
    expect(history).to_contain_text(text["sms_declined"])
    assert_fits_the_screen(page)
    screenshot("1-consent-history")
    member = Member.objects.get(user__email=email)
    assert ConsentChange.objects.filter(
        member=member, kind="marketing_email", granted=True, source="signup"
    ).exists()
