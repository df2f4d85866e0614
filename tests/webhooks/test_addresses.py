"""No delivery to this machine, the shop's network or any non-public address (API.md, Webhooks):
refused at registration with a clear error, and again before each delivery, which connects to
the very address that was checked."""

import ipaddress
import socket

import pytest

from tests.webhooks.conftest import send_due
from webhooks.addresses import UrlNotAllowed, address_is_public, url_target
from webhooks.models import Attempt, Delivery, Endpoint
from webhooks.services.endpoints import endpoint_register
from webhooks.transport import post

REFUSED = [
    "https://127.0.0.1/hooks",
    "https://127.8.9.10/",
    "https://10.0.0.5/hooks",
    "https://172.16.0.1/",
    "https://192.168.1.20/",
    "https://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
    "https://100.64.0.1/",  # shared address space (CGNAT)
    "https://0.0.0.0/",
    "https://224.0.0.1/",
    "https://240.0.0.1/",
    "https://[::1]/hooks",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://[::]/",
    "https://[ff02::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:10.0.0.1]/",
    "https://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "https://localhost/hooks",  # a name resolving to loopback
    "https://2130706433/",  # 127.0.0.1 written as a number
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_addresses_are_refused(url):
    with pytest.raises(UrlNotAllowed) as refused:
        url_target(url, allow_private=False)
    assert refused.value.code == "url_not_allowed"
    assert refused.value.params["reason"] == "private"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hooks", "scheme"),
        ("ftp://93.184.215.14/", "scheme"),
        ("hooks.example.com/path", "scheme"),
        ("https:///path", "host"),
        ("https://user:pw@93.184.215.14/", "credentials"),
        ("https://93.184.215.14:99999/", "malformed"),
        ("https://exa mple.com/", "malformed"),
        ("https://no-such-host.invalid/", "unresolvable"),
        ("https://" + "a" * 2000 + ".com/", "length"),
    ],
)
def test_urls_that_are_not_plain_public_https_are_refused_with_their_reason(url, reason):
    with pytest.raises(UrlNotAllowed) as refused:
        url_target(url, allow_private=False)
    assert refused.value.params["reason"] == reason


def test_a_public_address_is_taken_and_pinned():
    target = url_target("https://93.184.215.14:8443/hooks?shop=1", allow_private=False)

    assert (target.scheme, target.host, target.port) == ("https", "93.184.215.14", 8443)
    assert (target.addresses, target.target) == (("93.184.215.14",), "/hooks?shop=1")
    assert address_is_public(ipaddress.ip_address("2606:4700::1111"))


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    def resolve(host, port, type=0):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(UrlNotAllowed):
        url_target("https://mixed.example.com/", allow_private=False)


def test_allow_private_lets_this_machine_and_plain_http_through():
    target = url_target("http://localhost:8080/hooks", allow_private=True)
    assert set(target.addresses) <= {"127.0.0.1", "::1"}
    assert target.host == "localhost"


def test_registering_a_private_url_is_refused_and_writes_nothing(db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(UrlNotAllowed) as refused:
        endpoint_register(url="https://10.0.0.8/hooks", events=["member.enrolled"])

    assert refused.value.errors("en") == {
        "url": [
            "This URL cannot receive webhooks: it leads to a loopback, private, link-local or "
            "otherwise non-public address."
        ]
    }
    assert not Endpoint.objects.exists()


def test_a_delivery_is_checked_again_before_it_is_sent(registered, receiver, settings):
    """An endpoint registered while allowed (or whose name now resolves elsewhere) is refused
    at send time: nothing reaches the address, and the attempt says why."""
    endpoint = registered.endpoint
    Delivery.objects.create(
        endpoint=endpoint,
        event_id=1,
        event_type="member.enrolled",
        event_public_id="evt_x",
        body=b"{}",
        next_attempt_at=endpoint.created_at,
    )
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    report = send_due()

    assert (report.delivered, report.failed) == (0, 1)
    assert receiver.requests == []
    [attempt] = Attempt.objects.all()
    assert attempt.status_code is None
    assert attempt.error.startswith("url_not_allowed: This URL cannot receive webhooks")


def test_a_delivery_connects_to_the_address_checked_and_names_the_host(
    allow_private, receiver, monkeypatch
):
    """No second lookup between the check and the connection (DNS rebinding): the name is
    resolved once, the connection goes to that address, and the Host header keeps the name."""
    port = receiver.server.server_address[1]
    answers = iter(["127.0.0.1", "127.0.0.2"])  # a rebinding resolver: another answer each time
    lookups = []

    def resolve(host, port, *args, **kwargs):
        if host[0].isdigit():  # an address, as socket.create_connection passes it: no lookup
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    outcome = post(url=f"http://hooks.shop.test:{port}/hooks", body=b"{}", headers={})

    assert outcome.status_code == 200
    assert lookups == ["hooks.shop.test"]
    [received] = receiver.wait_for(1)
    assert received.headers["Host"] == f"hooks.shop.test:{port}"
