"""The `Tessera-Signature` header (API.md, Webhooks):

    Tessera-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">

keyed with the endpoint's secret (the whole `whsec_...` text, as UTF-8). While a rotated-out
secret still signs (the overlap after a rotation), the header carries one `v1=` per signing
secret, the current one first, as Stripe does: a receiver holding either secret accepts it.
Receivers check that `t` is recent (five minutes) so a captured delivery cannot be replayed
later, and compare in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence
from secrets import token_urlsafe

HEADER = "Tessera-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not one
SECRET_BYTES = 32
TOLERANCE_SECONDS = 300


def secret_new() -> str:
    return SECRET_PREFIX + token_urlsafe(SECRET_BYTES)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    values = [
        f"v1={signature(secret=secret, timestamp=timestamp, body=body)}" for secret in secrets
    ]
    return ",".join([f"t={timestamp}", *values])


def signature_verify(
    *,
    header: str,
    body: bytes,
    secret: str,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether `header` signs `body` with `secret` at a time within `tolerance` of `now`."""
    timestamp = None
    candidates = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
