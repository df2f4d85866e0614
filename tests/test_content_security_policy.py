"""Every response carries the Content-Security-Policy; only the API docs page loosens it."""

import pytest

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/admin/login/", "/api/v1/nothing/"])
def test_pages_and_the_api_send_a_self_only_policy(client, path):
    policy = directives(client.get(path))

    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_the_api_docs_page_allows_inline_styles_and_no_inline_script(client):
    response = client.get("/api/docs/")

    policy = directives(response)
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    assert b"<script>" not in response.content  # Swagger UI's start script is served as a file
