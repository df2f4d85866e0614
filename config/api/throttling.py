import time

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from config.api.models import ApiKey
from config.redis import cache_key, shared_redis


class ApiKeyRateThrottle(SimpleRateThrottle):
    """At most ``DEFAULT_THROTTLE_RATES["api_key"]`` requests per key (settings.API_RATE_LIMIT).

    A fixed window counted with an atomic ``incr`` in the shared cache, so every web process and
    concurrent requests count together (DRF's default keeps a history list that it reads and
    rewrites, which loses counts under concurrency). The price is up to twice the rate across a
    window boundary, acceptable for a guard against runaway integrations.
    """

    scope = "api_key"
    cache = cache

    def get_rate(self):
        # Read at request time, not import time, so settings overrides apply.
        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError:
            raise ImproperlyConfigured(
                f"REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'] has no rate for {self.scope!r}"
            ) from None

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None  # refused before throttling anyway
        # The random prefix rather than the pk: unique across databases sharing one cache.
        return f"throttle:{self.scope}:{request.auth.prefix}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        window_key = f"{key}:{window}"
        count = self._count(window_key)
        self._window_ends_at = (window + 1) * self.duration
        self._now = now
        return count <= self.num_requests

    def _count(self, window_key: str) -> int:
        """This request's number in the window. On Redis one round trip (INCR and EXPIRE in a
        pipeline) with one client kept per cache connection, rather than the cache API's
        add-then-incr, which builds a client per call: that was a millisecond of every API
        request in bench/earn.py's profile."""
        redis = shared_redis() if self.cache is cache else None
        if redis is not None:
            full_key = cache_key(window_key)
            pipe = redis.pipeline(transaction=False)  # INCR and EXPIRE are each atomic
            pipe.incr(full_key)
            pipe.expire(full_key, self.duration + 1)
            count, _ = pipe.execute()
            return int(count)
        self.cache.add(window_key, 0, timeout=self.duration + 1)
        try:
            return self.cache.incr(window_key)
        except ValueError:  # expired between add and incr
            self.cache.add(window_key, 1, timeout=self.duration + 1)
            return 1

    def wait(self):
        return max(self._window_ends_at - self._now, 1)
