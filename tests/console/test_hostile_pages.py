"""Hostile input to the pages (portal, staff console, admin) is a 404 or a 400/413 page, never a
500, and changes nothing; the pages stay HTML."""

import uuid

import pytest
from django.test import Client

from loyalty.models import LedgerEntry
from members.models import Member
from tests.console.conftest import staff_user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(alice, manager):
    signed_in = {}
    for name, user in (
        ("member", alice.user),
        ("manager", manager),
        ("superuser", staff_user_create("superuser", email="root@example.com")),
    ):
        signed_in[name] = Client(raise_request_exception=False)
        signed_in[name].force_login(user)
    return signed_in


def state():
    return (Member.objects.count(), LedgerEntry.objects.count())


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("superuser", "/admin/members/member/?q=%00"),
        ("superuser", "/admin/members/user/?q=%00"),
        ("superuser", "/admin/loyalty/ledgerentry/?q=a%00b"),
        ("manager", "/staff/?q=%00"),
        ("manager", "/staff/vouchers/?code=%00"),
        ("member", "/me/activity/?page=%00"),
    ],
)
def test_nul_in_a_query_is_a_400_page(clients, who, url):
    response = clients[who].get(url)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("member", "/me/rewards/%00/redeem/"),  # used to be a 500
        ("member", "/me/vouchers/%00/cancel/"),
        ("manager", "/staff/members/%00/"),
        ("superuser", "/admin/members/member/%00/change/"),
    ],
)
def test_nul_in_a_path_is_a_404_page(clients, who, url):
    before = state()

    response = clients[who].post(url) if "redeem" in url else clients[who].get(url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert state() == before


def test_nul_in_a_form_field_is_refused_by_the_form(clients, alice):
    before = state()

    response = clients["manager"].post(
        f"/staff/members/{alice.member_number}/adjust/",
        {"points": "5", "reason": "a\x00b", "token": uuid.uuid4()},
    )

    assert response.status_code in (200, 400)
    assert state() == before


def test_a_cookie_carrying_a_nul_is_ignored(db):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 20 + "\x00" + "y" * 11

    response = client.get("/me/")

    assert response.status_code == 302  # to the sign-in page: no session, no 500


def test_a_form_over_the_size_limit_is_a_413_page(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = Client().post("/accounts/login/", {"login": "a@example.com", "password": "x" * 2000})

    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert b"Too much data" in response.content
