"""The Tessera-Signature header, the rotation overlap (both secrets sign, then only the new
one), and the secrets kept sealed at rest."""

import datetime
import hashlib
import hmac
import re
from types import SimpleNamespace

import pytest

from webhooks import secret_box
from webhooks.models import EndpointSecret
from webhooks.services.endpoints import (
    ROTATION_OVERLAP,
    endpoint_register,
    endpoint_secret_rotate,
    endpoint_signing_secrets,
)
from webhooks.services.sending import delivery_headers
from webhooks.signing import signature_header, signature_verify

BODY = b'{"id":"evt_1","type":"member.enrolled","created_at":"2026-11-23T10:00:00Z","data":{}}'
SECRET = "whsec_test-secret"
T = 1_790_000_000


def test_the_header_is_t_then_one_v1_per_secret_the_hmac_of_t_dot_body():
    header = signature_header(secrets=[SECRET, "whsec_old"], timestamp=T, body=BODY)

    expected = hmac.new(SECRET.encode(), f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    old = hmac.new(b"whsec_old", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"t={T},v1={expected},v1={old}"
    assert re.fullmatch(r"t=\d+(,v1=[0-9a-f]{64})+", header)


def test_a_receiver_accepts_a_fresh_signature_and_refuses_anything_else():
    header = signature_header(secrets=[SECRET], timestamp=T, body=BODY)

    assert signature_verify(header=header, body=BODY, secret=SECRET, now=T + 299)
    assert not signature_verify(header=header, body=BODY + b" ", secret=SECRET, now=T)
    assert not signature_verify(header=header, body=BODY, secret="whsec_other", now=T)
    assert not signature_verify(header=header, body=BODY, secret=SECRET, now=T + 301)  # stale
    assert not signature_verify(header=header, body=BODY, secret=SECRET, now=T - 301)
    assert not signature_verify(header=f"t={T}", body=BODY, secret=SECRET, now=T)
    assert not signature_verify(header="v1=abc", body=BODY, secret=SECRET, now=T)
    assert not signature_verify(header="", body=BODY, secret=SECRET, now=T)
    # Another timestamp with the same v1 does not verify: t is signed.
    forged = header.replace(f"t={T}", f"t={T + 60}")
    assert not signature_verify(header=forged, body=BODY, secret=SECRET, now=T + 60)


@pytest.mark.usefixtures("allow_private")
def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(db, now, staff_user):
    first = endpoint_register(url="http://127.0.0.1:9/", events=["member.enrolled"])
    endpoint = first.endpoint
    assert endpoint_signing_secrets(endpoint=endpoint, at=now) == [first.secret]

    rotated = endpoint_secret_rotate(endpoint=endpoint, at=now)

    assert rotated.secret != first.secret
    assert rotated.previous_expires_at == now + ROTATION_OVERLAP == now + datetime.timedelta(1)
    during = now + ROTATION_OVERLAP - datetime.timedelta(seconds=1)
    assert endpoint_signing_secrets(endpoint=endpoint, at=during) == [rotated.secret, first.secret]
    after = now + ROTATION_OVERLAP
    assert endpoint_signing_secrets(endpoint=endpoint, at=after) == [rotated.secret]

    # What a delivery carries: two v1 values during the overlap, the new one first; each
    # verifies with its own secret.
    claimed = SimpleNamespace(
        endpoint=endpoint, body_bytes=BODY, event_public_id="evt_1", event_type="member.enrolled"
    )
    header = delivery_headers(delivery=claimed, at=during)["Tessera-Signature"]
    assert header.count("v1=") == 2
    stamp = during.timestamp()
    assert signature_verify(header=header, body=BODY, secret=rotated.secret, now=stamp)
    assert signature_verify(header=header, body=BODY, secret=first.secret, now=stamp)
    header = delivery_headers(delivery=claimed, at=after)["Tessera-Signature"]
    assert header.count("v1=") == 1
    assert not signature_verify(header=header, body=BODY, secret=first.secret, now=stamp + 1)


@pytest.mark.usefixtures("allow_private")
def test_a_second_rotation_stops_the_oldest_secret_at_once(db, now):
    first = endpoint_register(url="http://127.0.0.1:9/", events=["member.enrolled"])
    second = endpoint_secret_rotate(endpoint=first.endpoint, at=now)
    third = endpoint_secret_rotate(endpoint=first.endpoint, at=now + datetime.timedelta(hours=1))

    later = now + datetime.timedelta(hours=2)
    assert endpoint_signing_secrets(endpoint=first.endpoint, at=later) == [
        third.secret,
        second.secret,
    ]
    assert EndpointSecret.objects.filter(endpoint=first.endpoint).count() == 2  # first dropped


@pytest.mark.usefixtures("allow_private")
def test_secrets_are_sealed_at_rest_and_open_with_a_fallback_key(db, settings):
    registered = endpoint_register(url="http://127.0.0.1:9/", events=["member.enrolled"])
    row = EndpointSecret.objects.get(endpoint=registered.endpoint)

    assert registered.secret.startswith("whsec_")
    assert registered.secret not in row.sealed
    assert secret_box.unseal(row.sealed) == registered.secret
    # Two seals of one secret differ (a fresh nonce each).
    assert secret_box.seal(registered.secret) != secret_box.seal(registered.secret)

    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key"
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.unseal(row.sealed)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert secret_box.unseal(row.sealed) == registered.secret


def test_a_tampered_sealed_secret_does_not_open():
    sealed = secret_box.seal(SECRET)
    prefix, payload = sealed[:3], sealed[3:]
    flipped = payload[:30] + ("A" if payload[30] != "A" else "B") + payload[31:]

    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.unseal(prefix + flipped)
    with pytest.raises(secret_box.SecretUnreadable):
        secret_box.unseal("plain text")
