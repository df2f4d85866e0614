"""How long allauth's rate limits (settings.ACCOUNT_RATE_LIMITS) keep refusing someone, read from
allauth's own counts in the cache, so that a locked-out visitor is told when to try again: the
failed-login lock-out on the sign-in form (portal.accounts) and the 429 page (config.errors).

A rate such as "5/5m/key" keeps the times of the attempts of the last 5 minutes; it refuses while
5 of them are in the window, so it lets the next one through when the 5th most recent leaves it.
"""

from __future__ import annotations

import math
import time

from allauth.account import app_settings as account_settings
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext

APP = "allauth.account"


def retry_after(request: HttpRequest, *, action: str, key: str | None = None) -> int | None:
    """Seconds until `action` is allowed again for this request (its address, its signed-in
    user, and `key` when given), or None when none of its rates refuses it now."""
    now = time.time()
    waits = []
    for rate in allauth_ratelimit.get_rates(app=APP, action=action):
        if rate.per == "key" and key is None:
            continue
        if rate.per == "user" and not request.user.is_authenticated:
            continue
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=APP, action=action, rate=rate, key=key
        )
        counted = [at for at in cache.get(cache_key, []) if at > now - rate.duration]
        if len(counted) >= rate.amount:
            counted.sort(reverse=True)
            waits.append(counted[rate.amount - 1] + rate.duration - now)
    return math.ceil(max(waits)) if waits else None


def longest_window(*, action: str) -> int | None:
    """The longest window of `action`'s rates, in seconds: how long a refusal lasts at most."""
    rates = allauth_ratelimit.get_rates(app=APP, action=action)
    return math.ceil(max(rate.duration for rate in rates)) if rates else None


def retry_after_any(request: HttpRequest) -> int | None:
    """For a 429, whose action allauth does not say: the longest wait among the actions that
    refuse this address or this signed-in user now."""
    waits = [
        wait
        for action in account_settings.RATE_LIMITS
        if (wait := retry_after(request, action=action)) is not None
    ]
    return max(waits) if waits else None


def try_again_text(seconds: int) -> str:
    """ "Try again in 5 minutes.": whole minutes, rounded up; hours past an hour and a half."""
    minutes = max(1, math.ceil(seconds / 60))
    if minutes > 90:
        hours = math.ceil(minutes / 60)
        return ngettext("Try again in %(count)d hour.", "Try again in %(count)d hours.", hours) % {
            "count": hours
        }
    return ngettext(
        "Try again in %(count)d minute.", "Try again in %(count)d minutes.", minutes
    ) % {"count": minutes}
