"""Accounts through allauth: sign-up with a verification mail over real SMTP, login, throttling,
password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from loyalty.services.program import program_import
from tests.conftest import PASSWORD
from tests.factories.loyalty import example_program_text
from tests.factories.members import UserFactory

NEW_PASSWORD = "a-much-longer-passphrase-42"
CONFIRM_LINK = re.compile(r"^http://testserver/accounts/confirm-email/[^/]+/$")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits():
    """allauth counts attempts in the cache (Redis under `make test`): start from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def verified_member():
    member = UserFactory(email="marta@example.com")
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)
    return member


def sign_up(client, email: str):
    return client.post(
        reverse("account_signup"),
        # The sign-up form also enrols the member, which needs a first name (portal.forms).
        {"email": email, "password1": PASSWORD, "password2": PASSWORD, "first_name": "Joan"},
    )


def log_in(client, email: str, password: str):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_sign_up_mails_a_verification_link_over_smtp_that_verifies_and_logs_in(client, smtp_outbox):
    response = sign_up(client, "joan@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    member = get_user_model().objects.get(email="joan@example.com")
    assert not EmailAddress.objects.get(user=member).verified
    assert signed_in_user_id(client) is None

    mail = smtp_outbox.wait_for_mail(to="joan@example.com")
    assert mail.subject.startswith("[Tessera] ")
    assert mail.sender == "no-reply@localhost"
    links = [link for link in mail.links() if CONFIRM_LINK.match(link)]
    assert len(links) == 1, mail.text
    link = links[0].removeprefix("http://testserver")

    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    assert b'method="post"' in confirm_page.content
    confirmed = client.post(link)

    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse(settings.LOGIN_REDIRECT_URL)
    assert EmailAddress.objects.get(user=member).verified
    assert signed_in_user_id(client) == str(member.pk)
    # Verified and signed in, they land on their own points (greeted by name, not by email).
    home = client.get(confirmed["Location"], follow=True)
    assert home.redirect_chain[-1][0] == reverse("members:home")


def test_sign_up_mail_is_in_the_visitors_language(client, smtp_outbox):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    sign_up(client, "lucia@example.com")

    mail = smtp_outbox.wait_for_mail(to="lucia@example.com")
    assert "¡Hola desde Tessera!" in mail.text


def test_login_before_verification_is_sent_to_the_verification_page(client):
    sign_up(client, "pau@example.com")
    client.logout()

    response = log_in(client, "pau@example.com", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert signed_in_user_id(client) is None


def test_verified_member_logs_in_and_out(client, verified_member):
    response = log_in(client, verified_member.email, PASSWORD)

    assert response.status_code == 302
    assert signed_in_user_id(client) == str(verified_member.pk)

    client.post(reverse("account_logout"))

    assert signed_in_user_id(client) is None


def test_wrong_password_is_refused_at_the_form(client, verified_member):
    response = log_in(client, verified_member.email, "not-the-password")

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    assert b'role="alert"' in response.content


def _failed_logins_allowed_per_account() -> int:
    """The per-account budget of failed logins, read from the configured allauth rate."""
    rates = settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
    return next(int(rate.split("/")[0]) for rate in rates if rate.endswith("/key"))


def test_failed_logins_lock_the_account_even_for_the_right_password(client, verified_member):
    allowed = _failed_logins_allowed_per_account()
    for _ in range(allowed):
        assert log_in(client, verified_member.email, "guess").status_code == 200

    response = log_in(client, verified_member.email, PASSWORD)

    assert signed_in_user_id(client) is None
    assert "Too many failed login attempts" in response.content.decode()


def test_failed_logins_for_one_account_leave_others_alone(client, verified_member):
    other = UserFactory(email="other@example.com")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    for _ in range(_failed_logins_allowed_per_account()):
        log_in(client, verified_member.email, "guess")

    log_in(client, other.email, PASSWORD)

    assert signed_in_user_id(client) == str(other.pk)


def test_login_flood_from_one_address_gets_429(client, settings, verified_member):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for attempt in range(3):
        log_in(client, f"someone{attempt}@example.com", "guess")

    response = log_in(client, verified_member.email, PASSWORD)

    assert response.status_code == 429
    assert signed_in_user_id(client) is None
    assert b"Too many requests" in response.content


def test_password_reset_mails_a_link_that_sets_a_new_password(client, smtp_outbox, verified_member):
    response = client.post(reverse("account_reset_password"), {"email": verified_member.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    mail = smtp_outbox.wait_for_mail(to=verified_member.email)
    reset_links = [link for link in mail.links() if "/accounts/password/reset/key/" in link]
    assert len(reset_links) == 1, mail.text

    # allauth moves the key from the URL into the session, then shows the form.
    form_page = client.get(reset_links[0].removeprefix("http://testserver"), follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0]
    changed = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert changed.status_code == 302
    assert changed["Location"] == reverse("account_reset_password_from_key_done")
    verified_member.refresh_from_db()
    assert verified_member.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_reveals_nothing(client, smtp_outbox):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    # Same answer as for a member, so the form cannot be used to find out who has an account...
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    # ...and the address's owner is told there is no account, with no link to use.
    mail = smtp_outbox.wait_for_mail(to="nobody@example.com")
    assert "/accounts/password/reset/key/" not in mail.text


def test_sign_up_form_labels_every_field_and_shows_errors_at_the_field(client):
    page = client.get(reverse("account_signup")).content.decode()
    for field in ("email", "password1", "password2"):
        assert f'<label for="id_{field}">' in page

    response = client.post(
        reverse("account_signup"),
        {"email": "mia@example.com", "password1": PASSWORD, "password2": "different-one"},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password2_error"' in page
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_password2"', page)
    assert not get_user_model().objects.filter(email="mia@example.com").exists()


def test_the_sign_up_page_promises_the_bonus_the_program_gives_and_only_then(client):
    # No program yet: nothing to promise.
    page = client.get(reverse("account_signup")).content.decode()
    assert "<p>It is free.</p>" in page
    assert 'data-testid="signup-bonus"' not in page

    program_import(text=example_program_text(), note="example")  # welcome: 100 points
    page = client.get(reverse("account_signup")).content.decode()
    assert (
        '<p data-testid="signup-bonus">It is free, and joining gives you 100 points: confirm '
        "your email to sign in and see them.</p>"
    ) in page
