"""The shape of an API key and how it is hashed.

A key reads ``tsk_<prefix>_<secret>``. The prefix is public (12 hex characters, shown in the admin
and used to find the row with one indexed query); the secret is 256 bits from :mod:`secrets`. Only
the SHA-256 of the whole key is stored. A slow password hash would buy nothing here: the input is
already high-entropy random, so it cannot be guessed from its hash, and SHA-256 keeps every
authenticated request cheap.
"""

import hashlib
import hmac
import secrets
from typing import NamedTuple

KEY_PREFIX = "tsk"
PREFIX_BYTES = 6  # 12 hex characters: public, only has to be unique
SECRET_BYTES = 32  # 256 bits of randomness


class GeneratedKey(NamedTuple):
    prefix: str
    raw: str
    hashed: str


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def generate_key() -> GeneratedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_hex(SECRET_BYTES)}"
    return GeneratedKey(prefix=prefix, raw=raw, hashed=hash_key(raw))


def parse_prefix(raw: str) -> str | None:
    """The public prefix of a well-formed key, or None if ``raw`` cannot be one of ours."""
    parts = raw.split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    prefix, secret = parts[1], parts[2]
    if len(prefix) != PREFIX_BYTES * 2 or len(secret) != SECRET_BYTES * 2:
        return None
    return prefix


def key_matches(raw: str, hashed: str) -> bool:
    # Constant time, so response timing says nothing about how much of the hash matched.
    return hmac.compare_digest(hash_key(raw), hashed)
