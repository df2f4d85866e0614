"""API key rows remembered per web process, checked against a token in Redis on every request.

Every API request read its key's row: one statement, about a tenth of a purchase's time in
bench/earn.py. A key's row changes rarely (renamed, rescoped, revoked), so each process keeps
the rows it has read, each with the key's *token*: a random value in Redis that every change
replaces (`api_key_changed`, called by `ApiKey.save()` and `api_key_revoke`). A request reads the
token (one Redis GET, cheaper than the statement) and uses the remembered row only if the token
is the one read before that row was read; otherwise it reads the row again. So a revocation or
a change of scopes holds from the next request in every process, as when every request read
the row. The token is read before the row, so a change committed after the read always leaves
a different token behind.

A change made outside Django (SQL on the table) replaces no token: rows are also read again when
older than `MAX_AGE` seconds. Without a Redis cache (the embedded `make run`), or when Redis
has lost the token, every request reads the row.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from config.redis import cache_key, shared_redis

if TYPE_CHECKING:
    from config.api.models import ApiKey

MAX_AGE = 60.0  # seconds
TOKEN_TTL = 24 * 3600  # seconds: a token outlives any remembered row; a lost one is replaced


@dataclass(frozen=True)
class _Remembered:
    api_key: ApiKey
    token: bytes
    at: float


# By prefix. Only rows that exist are remembered: at most one entry per API key.
_remembered: dict[str, _Remembered] = {}


def _token_key(prefix: str) -> str:
    return cache_key(f"api-key-token:{prefix}")


def api_key_remembered(prefix: str, load: Callable[[], ApiKey | None]) -> ApiKey | None:
    """The key with this prefix: remembered if its token has not changed since, else `load()`
    (and remembered for the next request)."""
    redis = shared_redis()
    if redis is None:
        return load()
    key = _token_key(prefix)
    token = redis.get(key)
    remembered = _remembered.get(prefix)
    if (
        remembered is not None
        and token == remembered.token
        and time.monotonic() - remembered.at < MAX_AGE
    ):
        return remembered.api_key
    api_key = load()
    if api_key is None:
        _remembered.pop(prefix, None)
    elif token is None:
        # No token yet (or Redis lost it): make one, remembered from the next request on (the
        # row just read may predate a change that made no token).
        redis.set(key, secrets.token_hex(16), nx=True, ex=TOKEN_TTL)
    else:
        _remembered[prefix] = _Remembered(api_key, token, time.monotonic())
    return api_key


def api_key_changed(api_key: ApiKey) -> None:
    """Every process reads this key's row again on its next request, once the transaction that
    changed it has committed."""
    _remembered.pop(api_key.prefix, None)
    redis = shared_redis()
    if redis is None:
        return
    key = _token_key(api_key.prefix)
    transaction.on_commit(lambda: redis.set(key, secrets.token_hex(16), ex=TOKEN_TTL))


def api_keys_forget() -> None:
    """Forget every remembered row in this process (tests)."""
    _remembered.clear()
