"""Signing secrets at rest, sealed with a key derived from SECRET_KEY.

The server signs every delivery with the endpoint's secret, so the secret must be recoverable:
a hash (as API keys are kept, config.api.keys) would not do. Kept in clear, a copy of the
database (a backup, a replica, a dump handed to support) would let anyone forge deliveries that
the shop's receivers accept. Sealed, the database alone reveals nothing: it takes SECRET_KEY too.

The construction uses only the standard library (the project ships no cryptography package):
HMAC-SHA256 as a pseudo-random function in counter mode for the keystream (a secret is 49
bytes: two blocks), encrypt-then-MAC with a second HMAC key over the version, the nonce and the
ciphertext, and a fresh 16-byte nonce per seal. Both keys are derived from SECRET_KEY for this
purpose only. Opening also tries SECRET_KEY_FALLBACKS, so rotating SECRET_KEY the Django way
(the old key kept as a fallback for a while) does not lose the secrets; an endpoint whose secret
no key opens any more needs its secret rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from django.conf import settings

VERSION = b"v1"
PREFIX = "v1$"
NONCE_BYTES = 16
TAG_BYTES = 32
_BLOCK = hashlib.sha256().digest_size


class SecretUnreadable(Exception):
    """No key in SECRET_KEY or SECRET_KEY_FALLBACKS opens this sealed secret."""


def _keys(secret_key: str) -> tuple[bytes, bytes]:
    root = hmac.new(secret_key.encode(), b"tessera.webhooks.secret-box.v1", hashlib.sha256).digest()
    return (
        hmac.new(root, b"encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"authenticate", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + _BLOCK - 1) // _BLOCK
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        for counter in range(blocks)
    )[:length]


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def seal(secret: str) -> str:
    encrypt_key, mac_key = _keys(settings.SECRET_KEY)
    plain = secret.encode()
    nonce = secrets.token_bytes(NONCE_BYTES)
    cipher = _xor(plain, _keystream(encrypt_key, nonce, len(plain)))
    tag = hmac.new(mac_key, VERSION + nonce + cipher, hashlib.sha256).digest()
    return PREFIX + base64.urlsafe_b64encode(nonce + cipher + tag).decode()


def unseal(sealed: str) -> str:
    if not sealed.startswith(PREFIX):
        raise SecretUnreadable("not a sealed secret")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(PREFIX) :])
    except ValueError as error:
        raise SecretUnreadable("not a sealed secret") from error
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise SecretUnreadable("not a sealed secret")
    nonce, cipher, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        encrypt_key, mac_key = _keys(secret_key)
        expected = hmac.new(mac_key, VERSION + nonce + cipher, hashlib.sha256).digest()
        if hmac.compare_digest(expected, tag):
            return _xor(cipher, _keystream(encrypt_key, nonce, len(cipher))).decode()
    raise SecretUnreadable("no key in SECRET_KEY or SECRET_KEY_FALLBACKS opens it")
