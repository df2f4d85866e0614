"""Each member page costs a fixed, small number of queries, whatever the history length."""

import pytest
from django.urls import reverse

from loyalty.models import LedgerEntry
from loyalty.selectors.program import shop_frame
from tests.portal.conftest import add_history, login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def long_history_alice(alice):
    add_history(alice, 250)
    assert LedgerEntry.objects.filter(member=alice).count() > 250
    return alice


@pytest.mark.parametrize(
    ("name", "htmx"),
    [
        ("members:home", False),
        ("members:activity", False),
        ("members:activity", True),
        ("members:card", False),
        ("members:invite", False),
        ("members:profile", False),
    ],
)
def test_page_renders_within_ten_queries(
    client, long_history_alice, django_assert_max_num_queries, name, htmx
):
    client = login(client, long_history_alice)
    headers = HTMX | {"HTTP_HX_TARGET": "activity-list"} if htmx else {}
    shop_frame()  # the shop's name and logo: read once every 30 s per process, not per page

    with django_assert_max_num_queries(10):
        response = client.get(reverse(name), **headers)

    assert response.status_code == 200


def test_entry_explanation_renders_within_ten_queries(
    client, long_history_alice, django_assert_max_num_queries
):
    entry = LedgerEntry.objects.filter(member=long_history_alice, kind="refund").get()
    client = login(client, long_history_alice)

    for headers in ({}, HTMX):
        with django_assert_max_num_queries(10):
            response = client.get(reverse("members:entry", args=[entry.pk]), **headers)
        assert response.status_code == 200
