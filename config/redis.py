"""The Redis client under Django's default cache, for the few places that need Redis commands
the cache API does not offer (or offers slowly): the API's rate limit and key tokens."""

from __future__ import annotations

import weakref

from django.core.cache import cache

# Django's Redis cache builds a client object (over its shared connection pool) on every call;
# this keeps one per cache connection (a Redis client is safe to share between threads).
_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def shared_redis():
    """The default cache's Redis client, or None when the cache is not Redis (the embedded
    `make run` uses a per-process memory cache)."""
    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    redis = _clients.get(client)
    if redis is None:
        redis = _clients[client] = client.get_client(write=True)
    return redis


def cache_key(key: str) -> str:
    """`key` as the default cache names it (with its prefix and version)."""
    return cache.make_and_validate_key(key)
