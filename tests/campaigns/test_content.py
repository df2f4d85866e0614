"""Merge fields: refused at save when unknown or malformed, filled in and escaped at send."""

import pytest
from django.utils import translation

from campaigns.content import (
    MERGE_FIELDS,
    content_errors,
    content_for_language,
    html_render,
    placeholders,
    text_render,
)


def test_every_spec_merge_field_is_known():
    text = " ".join(f"{{{{ {name} }}}}" for name in MERGE_FIELDS)
    assert content_errors(text) == []
    assert placeholders(text) == list(MERGE_FIELDS)
    assert set(MERGE_FIELDS) == {
        "first_name", "points", "pending_points", "tier", "next_tier", "amount_to_next_tier",
        "expiring_points", "expiring_on", "voucher_code", "portal_url", "unsubscribe_url",
    }  # fmt: skip


def test_spaces_inside_the_braces_are_optional():
    assert content_errors("Hola {{first_name}}, {{  points  }}") == []
    assert text_render("Hola {{first_name}}!", {"first_name": "Ana"}) == "Hola Ana!"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hello {{ firstname }}", "merge_field_unknown"),
        ("Hello {{ user.password }}", "merge_field_malformed"),
        ("{% load static %}", "merge_field_malformed"),
        ("Hello {{ first_name }", "merge_field_malformed"),
        ("Hello }} there", "merge_field_malformed"),
        ("{# a comment #}", "merge_field_malformed"),
        ("{{ first_name|upper }}", "merge_field_malformed"),
    ],
)
def test_what_is_not_a_merge_field_is_refused(text, code):
    assert [error.code for error in content_errors(text)] == [code]


def test_the_refusal_names_the_field_in_the_marketers_language():
    with translation.override("es"):
        (error,) = content_errors("Hola {{ nombre }}")
    assert "{{ nombre }}" in error.message
    assert "first_name" in error.message
    assert error.message != content_errors("Hola {{ nombre }}")[0].message


def test_allowed_narrows_the_fields():
    (error,) = content_errors("{{ voucher_code }}", allowed=["first_name"])
    assert error.code == "merge_field_unknown"


def test_html_escapes_the_text_and_the_values_and_links_addresses():
    text = "Hi {{ first_name }} <b>now</b>\nsee https://shop.example/a?b=1&c=2.\n\nBye"
    html = html_render(text, {"first_name": "<script>x</script>"})
    assert html == (
        "<p>Hi &lt;script&gt;x&lt;/script&gt; &lt;b&gt;now&lt;/b&gt;<br>\n"
        'see <a href="https://shop.example/a?b=1&amp;c=2">https://shop.example/a?b=1&amp;c=2</a>.'
        "</p>\n<p>Bye</p>"
    )


def test_links_can_be_rewritten_for_click_tracking():
    values = {"portal_url": "https://p.example/"}
    html = html_render("Go to {{ portal_url }}", values, link=str.upper)
    assert '<a href="HTTPS://P.EXAMPLE/">https://p.example/</a>' in html


def test_content_falls_back_to_the_program_language_then_any():
    content = {"es": {"subject": "Hola", "body": "Cuerpo"}, "fr": {"subject": "", "body": ""}}
    assert content_for_language(content, "es", program_language="en")[0] == "es"
    assert content_for_language(content, "fr", program_language="es")[0] == "es"
    assert content_for_language({"fr": {"body": "Corps"}}, "en", program_language="es")[0] == "fr"
    assert content_for_language({}, "en", program_language="es") is None
