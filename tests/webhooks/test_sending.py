"""Sending deliveries to a real HTTP receiver on this machine: signed, retried with back-off
and the same event id, cut at the deadline and at the answer cap, never following a redirect;
a claimed delivery whose sender died is due again after its lease, and a sender process killed
mid-request loses nothing."""

import datetime
import json
import os
import signal
import ssl
import subprocess
import sys

import pytest
from django.utils import timezone

from loyalty.services.enrolment import member_join
from tests.fixtures_worker import ROOT, _database_url, wait_for
from tests.webhooks.conftest import send_due, webhooks_dispatch
from tests.webhooks.receiver import Answer, receiver_start, receiver_stop
from webhooks.catalog import EVENT_TYPES
from webhooks.models import Attempt, Delivery, DeliveryState
from webhooks.services.endpoints import endpoint_register
from webhooks.services.sending import (
    BACKOFF,
    LEASE,
    MAX_ATTEMPTS,
    attempt_record,
    delivery_claim,
    retry_delay,
)
from webhooks.signing import signature_verify
from webhooks.transport import ANSWER_MAX_BYTES, Outcome, post

MINUTE = datetime.timedelta(minutes=1)


def enrol_and_queue(email="ana@example.com") -> Delivery:
    member_join(email=email, first_name="Ana", language="es")
    webhooks_dispatch()
    return Delivery.objects.get(event_type="member.enrolled")


def test_a_delivery_reaches_the_receiver_signed_and_is_logged(registered, receiver, program, now):
    delivery = enrol_and_queue()

    report = send_due()

    assert (report.delivered, report.failed) == (1, 0)
    [received] = receiver.wait_for(1)
    assert received.body == delivery.body_bytes
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Tessera-Event-Id"] == delivery.event_public_id
    header = received.headers["Tessera-Signature"]
    assert header.startswith(f"t={int(now.timestamp())},v1=")
    assert signature_verify(
        header=header, body=received.body, secret=registered.secret, now=now.timestamp()
    )
    body = json.loads(received.body)
    assert body["id"] == delivery.event_public_id
    assert body["id"].startswith("evt_")
    assert body["type"] == "member.enrolled"
    assert body["data"]["email"] == "ana@example.com"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("delivered", 1, None)
    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert (attempt.status_code, attempt.error, attempt.is_success) == (200, "", True)
    assert attempt.response_excerpt == "ok"
    assert send_due().delivered == 0  # nothing twice


def test_a_receiver_failing_twice_gets_the_same_event_three_times(
    registered, receiver, program, now, time_machine
):
    receiver.answer(Answer(status=500, body=b"down"), Answer(status=503))
    delivery = enrol_and_queue()

    assert send_due().failed == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("due", 1)
    assert delivery.next_attempt_at == now + BACKOFF[0]
    assert send_due().failed == 0  # not due before its time
    time_machine.move_to(now + BACKOFF[0], tick=False)
    assert send_due().failed == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + BACKOFF[0] + BACKOFF[1]
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert send_due().delivered == 1

    received = receiver.wait_for(3)
    assert {json.loads(r.body)["id"] for r in received} == {delivery.event_public_id}
    assert {r.body for r in received} == {delivery.body_bytes}
    attempts = list(Attempt.objects.filter(delivery=delivery).values_list("number", "status_code"))
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    assert Attempt.objects.get(number=1).response_excerpt == "down"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_outcome) == ("delivered", 3, "200")
    # A success clears the endpoint's failing streak.
    registered.endpoint.refresh_from_db()
    assert registered.endpoint.failing_since is None


def test_the_back_off_is_about_1m_5m_30m_2h_6h_12h_24h_then_failed():
    hours = datetime.timedelta(hours=1)
    assert [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)] == [
        MINUTE,
        5 * MINUTE,
        30 * MINUTE,
        2 * hours,
        6 * hours,
        12 * hours,
        24 * hours,
        None,
    ]


def test_after_the_last_try_the_delivery_has_failed(registered, receiver, program, now):
    receiver.answer(*[Answer(status=500)] * MAX_ATTEMPTS)
    delivery = enrol_and_queue()
    at = now
    for _attempt in range(MAX_ATTEMPTS):
        claimed = delivery_claim(at=at)
        assert claimed is not None
        assert claimed.pk == delivery.pk
        attempt_record(
            delivery=claimed,
            outcome=Outcome(status_code=500, error="", duration_ms=1, excerpt=""),
            at=at,
        )
        claimed.refresh_from_db()
        at = claimed.next_attempt_at or at

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.next_attempt_at) == ("failed", 8, None)
    assert delivery_claim(at=at + datetime.timedelta(days=30)) is None


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    registered, receiver, program, now, settings
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    receiver.answer(Answer(delay=5))
    delivery = enrol_and_queue()

    assert send_due().failed == 1

    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code is None
    assert attempt.error.startswith("timeout")
    assert 450 <= attempt.duration_ms < 2000
    delivery.refresh_from_db()
    assert (delivery.state, delivery.next_attempt_at) == ("due", now + BACKOFF[0])


def test_an_endless_answer_is_read_up_to_the_cap_and_no_further(registered, receiver, program, now):
    total = 200 * ANSWER_MAX_BYTES  # 12.5 MiB, more than any socket buffer holds
    receiver.answer(Answer(status=200, stream_bytes=total))
    delivery = enrol_and_queue()

    assert send_due().delivered == 1

    [attempt] = Attempt.objects.filter(delivery=delivery)
    assert attempt.status_code == 200
    assert attempt.response_excerpt == "x" * 2000  # the start, as text
    assert attempt.duration_ms < 5000
    wait_for(lambda: receiver.streamed, timeout=10)
    assert receiver.streamed[0] < total  # the sender closed the connection

    receiver.answer(Answer(status=200, stream_bytes=total))
    outcome = post(url=receiver.url, body=b"{}", headers={})
    assert (outcome.status_code, outcome.received_bytes) == (200, ANSWER_MAX_BYTES)


def test_a_redirect_is_not_followed(registered, receiver, program, now):
    receiver.answer(Answer(status=302, headers=(("Location", receiver.url + "/elsewhere"),)))
    delivery = enrol_and_queue()

    assert send_due().failed == 1

    assert len(receiver.wait_for(1)) == 1
    assert receiver.requests[0].path == "/hooks"
    delivery.refresh_from_db()
    assert (delivery.state, delivery.last_outcome) == ("due", "302")


def test_a_claim_whose_sender_died_is_due_again_after_its_lease(registered, program, now):
    delivery = enrol_and_queue()

    first = delivery_claim(at=now)
    assert first is not None
    assert first.pk == delivery.pk
    # The sender dies here: no attempt recorded. Others skip the row while its lease runs.
    assert delivery_claim(at=now + LEASE - datetime.timedelta(seconds=1)) is None
    second = delivery_claim(at=now + LEASE)
    assert second is not None
    assert second.pk == delivery.pk
    assert second.claim_token != first.claim_token

    # Had the first sender come back late, its outcome is kept but moves nothing.
    late = Outcome(status_code=500, error="", duration_ms=1, excerpt="")
    assert attempt_record(delivery=first, outcome=late, at=now + LEASE) is False
    delivery.refresh_from_db()
    assert (delivery.state, delivery.claim_token) == ("due", second.claim_token)
    assert Attempt.objects.filter(delivery=delivery).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_mid_request_loses_no_event(
    allow_private, receiver, staff_user, program, time_machine
):
    """A process running the send loop is killed (SIGKILL) while the receiver holds its
    request: the delivery stays due, with no attempt; once its lease has run out, the next
    run delivers it, with the same event id and bytes."""
    registered = endpoint_register(url=receiver.url, events=EVENT_TYPES, owner=staff_user)
    receiver.answer(Answer(hang=True))
    delivery = enrol_and_queue()
    env = {**os.environ, "DATABASE_URL": _database_url(), "WEBHOOKS_ALLOW_PRIVATE": "true"}
    sender = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from webhooks.services.sending import deliveries_send; deliveries_send()",
        ],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    try:
        receiver.wait_for(1, timeout=30)
    finally:
        sender.send_signal(signal.SIGKILL)
        sender.wait(timeout=10)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("due", 0)
    assert not Attempt.objects.exists()
    assert delivery.next_attempt_at > timezone.now()  # held by the dead sender's lease

    receiver.released.set()
    time_machine.move_to(delivery.next_attempt_at, tick=False)
    assert send_due().delivered == 1

    first, second = receiver.wait_for(2)
    assert first.body == second.body == delivery.body_bytes
    assert signature_verify(
        header=second.headers["Tessera-Signature"],
        body=second.body,
        secret=registered.secret,
        now=delivery.next_attempt_at.timestamp(),
    )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for `localhost` (and its key), made with openssl."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - Debian's openssl
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def test_https_verifies_the_certificate_against_the_urls_host(
    allow_private, certificate, monkeypatch
):
    """Connected to the checked address, TLS still verifies the name in the URL (sent as SNI):
    a certificate for `localhost` is taken at https://localhost/, refused under another name,
    and an untrusted one is a failed attempt."""
    secure = receiver_start(tls=certificate)
    try:
        url = f"https://localhost:{secure.port}/hooks"
        assert post(url=url, body=b"{}", headers={}).error.startswith("tls: ")  # not trusted

        trusting = ssl.create_default_context(cafile=certificate[0])
        monkeypatch.setattr(ssl, "create_default_context", lambda *args, **kwargs: trusting)
        taken = post(url=url, body=b'{"n": 1}', headers={})
        other = post(url=f"https://127.0.0.1:{secure.port}/hooks", body=b"{}", headers={})
    finally:
        receiver_stop(secure)

    assert (taken.status_code, taken.error) == (200, "")
    assert secure.requests[-1].body == b'{"n": 1}'
    assert other.status_code is None
    assert other.error.startswith("tls: ")  # the certificate names localhost, not 127.0.0.1
