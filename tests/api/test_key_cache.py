"""Key rows remembered between requests (config.api.keycache) never outlive a change."""

import secrets

from django.db import connection

from config.api import keycache
from config.api.models import ApiKey, Scope
from config.api.services import api_key_revoke
from config.redis import shared_redis

PING = "/api/v1/ping/"
MEMBERS = "/api/v1/members/?email=nobody@example.com"


def _key_reads(api_client, path=PING) -> tuple[int, int]:
    """(status, how many times the request read the key's row)."""
    reads = []

    def count(execute, sql, params, many, context):
        if '"api_apikey"' in sql and sql.lstrip().upper().startswith("SELECT"):
            reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = api_client.get(path)
    return response.status_code, len(reads)


def _other_process_changes(api_key: ApiKey) -> None:
    """What another web process's change leaves behind: a new token in Redis (after commit)."""
    shared_redis().set(keycache._token_key(api_key.prefix), secrets.token_hex(16))


def test_a_key_is_read_until_it_has_a_token_then_remembered(api_client, api_key):
    assert shared_redis() is not None, "these tests need the Redis cache (make test)"
    shared_redis().delete(keycache._token_key(api_key.prefix))

    assert _key_reads(api_client) == (200, 1)  # no token yet: one is made
    assert _key_reads(api_client) == (200, 1)  # token read before the row: remembered
    assert _key_reads(api_client) == (200, 0)
    assert _key_reads(api_client) == (200, 0)


def test_a_change_in_another_process_is_seen_on_the_next_request(api_client, api_key):
    _key_reads(api_client)
    _key_reads(api_client)
    assert _key_reads(api_client) == (200, 0)

    ApiKey.objects.filter(pk=api_key.pk).update(scopes=[Scope.PROGRAM_READ])
    _other_process_changes(api_key)

    response = api_client.get(MEMBERS)
    assert response.status_code == 403  # the new scopes, not the remembered ones
    assert "members:read" in response.json()["detail"]


def test_revoking_holds_from_the_next_request_in_every_process(
    api_client, api_key, django_capture_on_commit_callbacks
):
    _key_reads(api_client)
    _key_reads(api_client)
    assert _key_reads(api_client) == (200, 0)
    # What another process holds: the row as it was, with the token read before it.
    held = keycache._remembered[api_key.prefix]

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        api_key_revoke(api_key=api_key)
    assert callbacks, "the token is replaced once the revocation commits"
    assert api_key.prefix not in keycache._remembered  # this process forgot at once
    keycache._remembered[api_key.prefix] = held  # the other process has not

    status, reads = _key_reads(api_client)

    assert (status, reads) == (401, 1)
    assert api_client.get(PING).json()["detail"] == "This API key has been revoked."


def test_a_change_made_in_sql_is_seen_after_max_age(api_client, api_key, monkeypatch):
    _key_reads(api_client)
    _key_reads(api_client)
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at="2026-01-01T00:00:00Z")  # no token
    assert _key_reads(api_client) == (200, 0)  # still remembered

    monkeypatch.setattr(keycache, "MAX_AGE", 0.0)
    assert _key_reads(api_client) == (401, 1)


def test_a_wrong_secret_is_refused_even_for_a_remembered_key(anonymous_client, api_client, api_key):
    _key_reads(api_client)
    _key_reads(api_client)
    forged = api_key.raw_key[:-1] + ("0" if api_key.raw_key[-1] != "0" else "1")

    response = anonymous_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {forged}")

    assert response.status_code == 401
    assert "revoked" not in response.json()["detail"]


def test_unknown_prefixes_are_neither_remembered_nor_given_a_token(anonymous_client, db):
    prefix = secrets.token_hex(6)
    raw = f"tsk_{prefix}_{'0' * 64}"

    for _ in range(3):
        assert anonymous_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401

    assert prefix not in keycache._remembered
    assert shared_redis().get(keycache._token_key(prefix)) is None
