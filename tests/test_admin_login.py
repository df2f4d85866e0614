"""The admin's sign-in is locked after the portal's budget of failed logins, per account and per
address, even for the right password; staff and superusers alike."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tests.factories.members import StaffUserFactory

PASSWORD = "correct-horse-battery"
URL = "/admin/login/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_rate_limits():
    """allauth counts attempts in the cache (Redis under `make test`): start from nothing."""
    cache.clear()
    yield
    cache.clear()


def budget(scope: str) -> int:
    rates = settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",")
    return next(int(rate.split("/")[0]) for rate in rates if rate.endswith(f"/{scope}"))


def log_in(client, email, password, address="10.0.0.1"):
    return client.post(
        URL, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=address
    )


def is_signed_in(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


@pytest.mark.parametrize("is_superuser", [False, True], ids=["staff", "superuser"])
def test_the_right_password_is_refused_after_the_accounts_failed_logins(is_superuser):
    user = StaffUserFactory(email="boss@example.com", is_superuser=is_superuser)
    client = Client()
    for attempt in range(budget("key")):
        # From different addresses: the per-account budget alone locks it.
        assert log_in(client, user.email, "guess", address=f"10.0.1.{attempt}").status_code == 200

    response = log_in(client, user.email, PASSWORD, address="10.0.2.1")

    assert response.status_code == 200
    assert not is_signed_in(client, user)
    assert "Too many failed login attempts" in response.content.decode()


def test_the_right_password_signs_in_below_the_budget():
    user = StaffUserFactory(email="boss@example.com")
    client = Client()
    for _ in range(budget("key") - 1):
        log_in(client, user.email, "guess")

    response = log_in(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert is_signed_in(client, user)


def test_failed_logins_from_one_address_lock_every_account_from_it():
    user = StaffUserFactory(email="boss@example.com")
    client = Client()
    for attempt in range(budget("ip")):
        # A different account each time: the per-address budget alone locks it.
        log_in(client, f"someone{attempt}@example.com", "guess")

    response = log_in(client, user.email, PASSWORD)

    assert not is_signed_in(client, user)
    assert "Too many failed login attempts" in response.content.decode()
    # Another address is not locked.
    assert log_in(Client(), user.email, PASSWORD, address="10.9.9.9").status_code == 302


def test_failed_admin_logins_count_against_the_portal_too():
    user = StaffUserFactory(email="boss@example.com")
    client = Client()
    for attempt in range(budget("key")):
        log_in(client, user.email, "guess", address=f"10.0.1.{attempt}")

    response = client.post(
        "/accounts/login/", {"login": user.email, "password": PASSWORD}, REMOTE_ADDR="10.0.3.1"
    )

    assert not is_signed_in(client, user)
    assert "Too many failed login attempts" in response.content.decode()


def test_a_member_still_cannot_sign_in_to_the_admin():
    from tests.factories.members import UserFactory

    member = UserFactory(email="ana@example.com")

    response = log_in(Client(), member.email, PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in response.wsgi_request.session
