"""Search as you type, by every key, and the scanner's Enter that opens the member."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(
    "query",
    [
        "alice@example",
        "ALICE@EXAMPLE.COM",
        "Alice",
        "liddell",
        "alice liddell",
        "600123456",
        "+34 600-12",
        "34 56",
    ],
)
def test_typing_any_key_finds_the_member(client, cashier, alice, query):
    client.force_login(cashier)

    response = client.get(reverse("staff:search"), {"q": query}, **HTMX)

    assert response.status_code == 200
    assert [member.pk for member in response.context["results"]] == [alice.pk]
    assert "console/_results.html" in [t.name for t in response.templates]
    assert "console/search.html" not in [t.name for t in response.templates]


def test_the_start_of_a_member_number_finds_the_member(client, cashier, alice):
    client.force_login(cashier)
    response = client.get(reverse("staff:search"), {"q": alice.member_number[:9]}, **HTMX)
    assert alice in response.context["results"]


def test_one_character_or_a_stranger_finds_nobody(client, cashier, alice):
    client.force_login(cashier)
    for query in ("a", "zzz-nobody"):
        response = client.get(reverse("staff:search"), {"q": query}, **HTMX)
        assert response.context["results"] == []


def test_scanned_member_number_and_enter_opens_the_member(client, cashier, alice):
    client.force_login(cashier)

    response = client.get(reverse("staff:search"), {"q": f" {alice.member_number}\n"})

    assert response.status_code == 302
    assert response.url == reverse("staff:member", kwargs={"member_number": alice.member_number})


def test_a_number_with_a_wrong_check_digit_does_not_open_anyone(client, cashier, alice):
    client.force_login(cashier)
    wrong = alice.member_number[:12] + str((int(alice.member_number[12]) + 1) % 10)

    response = client.get(reverse("staff:search"), {"q": wrong})

    assert response.status_code == 200
    assert response.context["results"] == []


def test_typing_the_full_number_lists_rather_than_navigates(client, cashier, alice):
    """htmx's as-you-type request never redirects: only the submitted form opens the member."""
    client.force_login(cashier)
    response = client.get(reverse("staff:search"), {"q": alice.member_number}, **HTMX)
    assert response.status_code == 200
    assert alice in response.context["results"]


def test_search_page_has_a_labelled_field_that_searches_as_you_type(client, cashier):
    client.force_login(cashier)
    html = client.get(reverse("staff:search")).content.decode()
    assert '<label for="id_q">' in html
    assert 'hx-trigger="input changed delay:200ms, search"' in html
