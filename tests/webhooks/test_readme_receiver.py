"""The receiver README "Webhooks" gives shops, run as written against real deliveries: it takes a
signed one (once, however often it comes), and refuses a tampered body, another secret and a
stale timestamp."""

import re
import threading
from http.server import HTTPServer
from pathlib import Path

import pytest

from loyalty.services.enrolment import member_join
from tests.webhooks.conftest import send_due, webhooks_dispatch
from webhooks.catalog import EVENT_TYPES
from webhooks.models import Attempt, Delivery
from webhooks.services.deliveries import delivery_replay
from webhooks.services.endpoints import endpoint_register
from webhooks.signing import signature_header
from webhooks.transport import post

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_receiver() -> str:
    """The Python block of README's "Webhooks" section."""
    section = re.search(r"^#{2,3} Webhooks\n(.*?)(?=^#{1,3} |\Z)", README.read_text(), re.M | re.S)
    assert section, "README.md has no Webhooks section"
    [code] = re.findall(r"^```python\n(.*?)^```", section[1], re.M | re.S)
    return code


@pytest.fixture
def shop(db, allow_private, staff_user, monkeypatch):
    """The README's receiver, serving on 127.0.0.1, and an endpoint registered for it."""
    server = HTTPServer(("127.0.0.1", 0), None)
    registered = endpoint_register(
        url=f"http://127.0.0.1:{server.server_port}/hooks", events=EVENT_TYPES, owner=staff_user
    )
    monkeypatch.setenv("TESSERA_WEBHOOK_SECRET", registered.secret)
    example: dict = {"__name__": "shop_receiver"}  # not __main__: the test serves it
    exec(compile(readme_receiver(), "README.md", "exec"), example)  # noqa: S102 - our README
    server.RequestHandlerClass = example["Receiver"]
    server.RequestHandlerClass.log_message = lambda *args: None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield registered, example
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_readme_receiver_takes_a_real_delivery_once(shop, program, now, capsys):
    _registered, example = shop
    member_join(email="ana@example.com")
    webhooks_dispatch()

    assert send_due().delivered == 1
    delivery = Delivery.objects.get()
    assert Attempt.objects.get().status_code == 204
    assert example["seen"] == {delivery.event_public_id}
    assert capsys.readouterr().out.startswith("member.enrolled {")

    delivery_replay(delivery=delivery)  # the same event again: taken, not handled twice
    assert send_due().delivered == 1
    assert capsys.readouterr().out == ""


def test_the_readme_receiver_refuses_what_is_not_signed_now(shop, program, now):
    registered, _example = shop
    url = registered.endpoint.url
    body = b'{"id": "evt_forged", "type": "member.erased", "data": {}}'
    stamp = int(now.timestamp())

    def answer(header: str, sent: bytes = body) -> int:
        return post(url=url, body=sent, headers={"Tessera-Signature": header}).status_code

    assert answer(signature_header(secrets=[registered.secret], timestamp=stamp, body=body)) == 204
    assert answer(signature_header(secrets=["whsec_other"], timestamp=stamp, body=body)) == 400
    tampered = signature_header(secrets=[registered.secret], timestamp=stamp, body=body)
    assert answer(tampered, body.replace(b"erased", b"enrolled")) == 400
    stale = signature_header(secrets=[registered.secret], timestamp=stamp - 301, body=body)
    assert answer(stale) == 400
    assert answer("") == 400
    # During a rotation's overlap: the receiver still holds the previous secret.
    both = signature_header(secrets=["whsec_new", registered.secret], timestamp=stamp, body=body)
    assert answer(both) == 204
