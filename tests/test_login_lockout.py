"""Locked out after too many failed sign-ins, a member is told for how long, from the throttle's
real counts (ACCOUNT_RATE_LIMITS["login_failed"]), in their language, with a link to set a new
password; the 429 page says when too, and falls back to "a few minutes" when it cannot tell."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from config import errors
from config.ratelimits import try_again_text
from tests.conftest import PASSWORD
from tests.factories.members import UserFactory

pytestmark = pytest.mark.django_db

LOCKED_OUT = {
    "en": "Too many failed login attempts. Try again in {n} minutes.",
    "es": "Demasiados intentos fallidos de inicio de sesión. "
    "Vuelva a intentarlo dentro de {n} minutos.",
    "fr": "Trop de tentatives de connexion échouées. Réessayez dans {n} minutes.",
}
RESET_LINK = {"en": "Set a new password", "es": "Elija una contraseña nueva"}


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def member(db):
    user = UserFactory(email="marta@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def fifteen_minutes(settings):
    """Three wrong passwords lock the account for 15 minutes (the address may try 100)."""
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "login_failed": "100/m/ip,3/15m/key",
    }


def log_in(client, password: str):
    return client.post(
        reverse("account_login"), {"login": "marta@example.com", "password": password}
    )


def alert(response) -> str:
    page = response.content.decode()
    match = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.S)
    assert match, page
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_the_lock_out_says_for_how_long_in_the_members_language(
    client, member, fifteen_minutes, language
):
    client.cookies["django_language"] = language
    for _ in range(3):
        log_in(client, "guess")

    response = log_in(client, PASSWORD)

    assert "_auth_user_id" not in client.session
    assert LOCKED_OUT[language].format(n=15) in alert(response)


def test_the_wait_is_what_is_left_of_the_window(client, member, fifteen_minutes, time_machine):
    time_machine.move_to("2026-03-01 10:00:00+00:00", tick=False)
    for _ in range(3):
        log_in(client, "guess")
    time_machine.move_to("2026-03-01 10:06:30+00:00", tick=False)

    response = log_in(client, PASSWORD)

    # The first failure counts until 10:15: 8 minutes 30 seconds, said as 9 minutes.
    assert LOCKED_OUT["en"].format(n=9) in alert(response)


def test_the_lock_out_links_to_setting_a_new_password(client, member, fifteen_minutes):
    client.cookies["django_language"] = "es"
    for _ in range(3):
        log_in(client, "guess")

    page = log_in(client, PASSWORD).content.decode()

    alert_html = page[page.index('class="form-errors"') :]
    alert_html = alert_html[: alert_html.index("</div>")]
    assert f'href="{reverse("account_reset_password")}"' in alert_html
    assert RESET_LINK["es"] in alert_html


def test_a_wrong_password_alone_has_no_reset_link_in_its_alert(client, member, fifteen_minutes):
    page = log_in(client, "guess").content.decode()

    alert_html = page[page.index('class="form-errors"') :]
    alert_html = alert_html[: alert_html.index("</div>")]
    assert "Too many" not in alert_html
    assert reverse("account_reset_password") not in alert_html


def test_the_admin_sign_in_says_for_how_long_too(client, fifteen_minutes):
    UserFactory(email="boss@example.com", is_staff=True)
    for _ in range(3):
        client.post("/admin/login/", {"username": "boss@example.com", "password": "guess"})

    response = client.post("/admin/login/", {"username": "boss@example.com", "password": PASSWORD})

    assert "Too many failed login attempts. Try again in 15 minutes." in response.content.decode()


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (1, "Try again in 1 minute."),
        (60, "Try again in 1 minute."),
        (61, "Try again in 2 minutes."),
        (5400, "Try again in 90 minutes."),
        (5460, "Try again in 2 hours."),
    ],
)
def test_the_wait_is_said_in_whole_minutes_rounded_up(seconds, text):
    with translation.override("en"):
        assert try_again_text(seconds) == text


def test_a_429_it_cannot_time_says_to_wait_a_few_minutes():
    request = RequestFactory().get("/accounts/password/reset/")
    request.user = UserFactory.build()  # signed in, nothing counted

    with translation.override("fr"):
        response = errors.too_many_requests(request)

    page = response.content.decode()
    assert response.status_code == 429
    assert "Retry-After" not in response
    assert "Veuillez patienter quelques minutes avant de réessayer." in page
    assert 'data-testid="try-again"' not in page
