# ruff: noqa: RUF001 - French text uses the typographic apostrophe, as its catalogue does.
"""The error pages (400, 403, 404, 429, 500) are the site's own: in the visitor's language, with
the right status and Content-Language, and a way back (staff to the console, a member to their
account). DEBUG is off, as in production, so Django answers with the handlers, not its debug
pages. This module is also the URLconf of its tests: the project's URLs plus views that fail."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.test import Client, RequestFactory
from django.urls import path, reverse
from django.utils import translation

from config import errors
from config.urls import handler400, handler403, handler404, handler429, handler500
from config.urls import urlpatterns as project_urlpatterns
from members.roles import CASHIER, roles_install
from tests.conftest import PASSWORD
from tests.factories.members import StaffUserFactory, UserFactory

__all__ = ["handler400", "handler403", "handler404", "handler429", "handler500", "urlpatterns"]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.test_error_pages")]

LANGUAGES = ["en", "es", "fr"]
WHO = ["member", "staff"]

HEADINGS = {
    400: {
        "en": "We could not understand this request",
        "es": "No hemos podido entender esta solicitud",
        "fr": "Nous n’avons pas pu comprendre cette demande",
    },
    403: {
        "en": "You cannot open this page",
        "es": "No puede abrir esta página",
        "fr": "Vous ne pouvez pas ouvrir cette page",
    },
    404: {
        "en": "We cannot find this page",
        "es": "No encontramos esta página",
        "fr": "Nous ne trouvons pas cette page",
    },
    429: {"en": "Too many requests", "es": "Demasiados intentos", "fr": "Trop de tentatives"},
    500: {
        "en": "Something went wrong on our side",
        "es": "Algo ha fallado por nuestra parte",
        "fr": "Un problème est survenu de notre côté",
    },
}
WAY_BACK = {
    "staff": {
        "en": "Back to the staff console",
        "es": "Volver a la consola del personal",
        "fr": "Retour à la console du personnel",
    },
    "member": {
        "en": "Back to my account",
        "es": "Volver a mi cuenta",
        "fr": "Retour à mon compte",
    },
    "anyone": {
        "en": "Back to the home page",
        "es": "Volver a la página de inicio",
        "fr": "Retour à l’accueil",
    },
}
WAY_BACK_URL = {"staff": "staff:search", "member": "members:home", "anyone": "home"}
ROLE_REFUSAL = {
    "en": "Your role does not allow this page.",
    "es": "Su rol no permite acceder a esta página.",
    "fr": "Votre rôle ne permet pas d’accéder à cette page.",
}
WAIT_AND_RETRY = {
    "en": "Please wait a few minutes and try again.",
    "es": "Espere unos minutos y vuelva a intentarlo.",
    "fr": "Veuillez patienter quelques minutes avant de réessayer.",
}
# The login flood's rate below is 3 a minute: the page says when, from the counts.
TRY_AGAIN_IN_A_MINUTE = {
    "en": "Try again in 1 minute.",
    "es": "Vuelva a intentarlo dentro de 1 minuto.",
    "fr": "Réessayez dans 1 minute.",
}


def boom(request):
    raise RuntimeError("secret internals: password=hunter2")


def unreadable(request):
    raise SuspiciousOperation("a forged header")


urlpatterns = [
    path("test/boom/", boom),
    path("staff/test/boom/", boom),
    path("test/unreadable/", unreadable),
    *project_urlpatterns,
]


@pytest.fixture(autouse=True)
def _production_settings(settings):
    settings.DEBUG = False


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    """allauth counts attempts in the cache: start from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def users(db):
    roles_install()
    cashier = StaffUserFactory(email="cashier@example.com")
    cashier.groups.add(Group.objects.get(name=CASHIER))
    return {"staff": cashier, "member": UserFactory(email="marta@example.com")}


def client_for(user, language: str) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
    return client


def assert_branded(response, status: int, language: str, way_back: str) -> str:
    """The page is ours, in `language`, and links back where `way_back` (a WAY_BACK key) says."""
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Language"] == language
    assert f'<html lang="{language}"' in page
    assert f"<h1>{HEADINGS[status][language]}</h1>" in page
    assert "/static/css/tessera." in page
    assert f'href="{reverse(WAY_BACK_URL[way_back])}" data-testid="way-back"' in page
    assert WAY_BACK[way_back][language] in page
    return page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", WHO)
def test_unknown_page_is_our_404_in_the_visitors_language(users, who, language):
    response = client_for(users[who], language).get("/no-such-page/")

    page = assert_branded(response, 404, language, way_back=who)
    assert "Not Found" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_unknown_page_leads_a_visitor_who_is_not_signed_in_home(db, language):
    response = client_for(None, language).get("/staff/members/no-such-number/refund/x/")

    assert_branded(response, 404, language, way_back="anyone")


@pytest.mark.parametrize("language", LANGUAGES)
def test_cashier_opening_a_managers_page_is_told_their_role_does_not_allow_it(users, language):
    client = client_for(users["staff"], language)

    for url in ("/staff/referrals/", "/staff/members/000000000/refund/"):
        response = client.get(url)

        page = assert_branded(response, 403, language, way_back="staff")
        assert ROLE_REFUSAL[language] in page
        assert "403 Forbidden" not in page


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_opening_the_console_gets_our_403_and_a_way_to_their_account(users, language):
    response = client_for(users["member"], language).get("/staff/")

    page = assert_branded(response, 403, language, way_back="member")
    assert ROLE_REFUSAL[language] not in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", WHO)
def test_request_django_refuses_as_suspicious_is_our_400(users, who, language):
    response = client_for(users[who], language).get("/test/unreadable/")

    page = assert_branded(response, 400, language, way_back=who)
    assert "a forged header" not in page


@pytest.mark.parametrize("language", ["es", "fr"])
def test_request_refused_before_the_session_is_read_is_our_400_in_the_language_asked(
    users, language
):
    # config.middleware refuses a NUL ahead of LocaleMiddleware and of the session: nobody is
    # signed in yet, so the way back is the home page.
    response = client_for(users["staff"], language).get("/me/activity/?page=%00")

    assert_branded(response, 400, language, way_back="anyone")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("who", "url"), [("member", "/test/boom/"), ("staff", "/staff/test/boom/")]
)
def test_server_error_is_our_500_without_details(users, who, url, language):
    response = client_for(users[who], language).get(url)

    # The 500 page has no user to ask (config.errors.server_error): members go home.
    page = assert_branded(response, 500, language, way_back="anyone" if who == "member" else who)
    assert "hunter2" not in page
    assert "Traceback" not in page


@pytest.mark.parametrize("language", ["es", "fr"])
def test_server_error_page_renders_from_the_bare_request_in_the_active_language(language):
    request = RequestFactory().get("/staff/members/")

    with translation.override(language):
        response = errors.server_error(request)

    assert_branded(response, 500, language, way_back="staff")


@pytest.mark.parametrize("language", LANGUAGES)
def test_login_throttle_is_our_429_saying_to_wait_with_a_way_to_reset_the_password(
    settings, db, language
):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    user = UserFactory(email="marta@example.com")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_for(None, language)
    for attempt in range(3):
        client.post(reverse("account_login"), {"login": f"x{attempt}@example.com", "password": "x"})

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    page = assert_branded(response, 429, language, way_back="anyone")
    assert TRY_AGAIN_IN_A_MINUTE[language] in page
    assert WAIT_AND_RETRY[language] not in page
    assert 0 < int(response["Retry-After"]) <= 60
    assert f'href="{reverse("account_reset_password")}"' in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("who", WHO)
def test_signed_in_rate_limit_is_our_429_with_the_way_back(settings, users, who, language):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "change_password": "1/m/user"}
    client = client_for(users[who], language)
    client.post(reverse("account_change_password"), {})

    response = client.post(reverse("account_change_password"), {})

    assert_branded(response, 429, language, way_back=who)
