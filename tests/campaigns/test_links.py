"""Signed links: each token reads back only for its purpose, and a changed one reads as nothing."""

import pytest

from campaigns.links import (
    CLICK_SALT,
    OPEN_SALT,
    _sign,
    click_read,
    list_unsubscribe_headers,
    open_read,
    unsubscribe_read,
    unsubscribe_token,
)


def test_an_unsubscribe_token_reads_back_its_member_and_kind():
    token = unsubscribe_token(member_pk=42, kind="email")
    assert unsubscribe_read(token) == (42, "email")


@pytest.mark.parametrize("kind", ["marketing", "", "EMAIL"])
def test_only_known_kinds_are_signed(kind):
    with pytest.raises(ValueError, match="unknown unsubscribe kind"):
        unsubscribe_token(member_pk=1, kind=kind)


def test_a_changed_or_foreign_token_is_nothing():
    token = unsubscribe_token(member_pk=42, kind="email")
    assert unsubscribe_read(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert unsubscribe_read("") is None
    assert unsubscribe_read("\x00:abc") is None
    # A token made for another purpose does not unsubscribe, and the other way round.
    assert unsubscribe_read(_sign([42, "email"], OPEN_SALT)) is None
    assert open_read(token) is None
    assert click_read(token) is None


def test_open_and_click_tokens():
    assert open_read(_sign(7, OPEN_SALT)) == 7
    assert open_read(_sign(True, OPEN_SALT)) is None
    assert click_read(_sign([7, "https://shop.example/x?a=1"], CLICK_SALT)) == (
        7,
        "https://shop.example/x?a=1",
    )


@pytest.mark.parametrize("target", ["javascript:alert(1)", "data:text/html,x", "//evil.example"])
def test_a_click_never_redirects_outside_http(target):
    assert click_read(_sign([7, target], CLICK_SALT)) is None


def test_one_click_headers_follow_rfc_8058():
    headers = list_unsubscribe_headers("https://loyalty.example/u/abc/")
    assert headers == {
        "List-Unsubscribe": "<https://loyalty.example/u/abc/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
