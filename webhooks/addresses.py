"""Where a webhook may go: the guard against server-side request forgery.

A URL is taken only if it is `https://` (plain `http://` too with WEBHOOKS_ALLOW_PRIVATE), names
a host, carries no user name or password, and its host resolves to public addresses only: no
loopback, private, shared (CGNAT), link-local, multicast, reserved or unspecified address, in
IPv4 or IPv6, and none hidden inside an IPv6 address (IPv4-mapped `::ffff:127.0.0.1`, 6to4,
Teredo). If any address the name resolves to is refused, the URL is: a name that resolves to
one public and one private address would otherwise reach the private one half the time.

The check is made when an endpoint is registered (a clear refusal, `url_not_allowed`) and again
before every delivery, and the delivery connects to the addresses that were checked
(`UrlTarget.addresses`, in turn), never resolving the name a second time: a DNS answer that
changes between the check and the connection (DNS rebinding) cannot send it elsewhere.

WEBHOOKS_ALLOW_PRIVATE=true (development and tests) lifts the address rules and allows http.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from webhooks.models import URL_MAX_LENGTH

RESOLVE_TIMEOUT_SECONDS = 5.0

REASONS = {
    "malformed": _("it is not a valid URL"),
    "length": _("it is longer than 2000 characters"),
    "scheme": _("only https:// URLs are accepted"),
    "scheme_dev": _("only http:// and https:// URLs are accepted"),
    "host": _("it names no host"),
    "credentials": _("it must not carry a user name or password"),
    "unresolvable": _("its host name does not resolve"),
    "private": _("it leads to a loopback, private, link-local or otherwise non-public address"),
}

# getaddrinfo has no timeout of its own: it runs in one of these threads and is waited for at
# most the time left. A lookup that hangs keeps its thread until the resolver gives up; a few
# threads bound it. One pool per process: a pool's threads do not survive a fork (gunicorn's and
# Celery's workers are forked), and a forked pool that believes it has them runs nothing.
_resolvers: dict[int, ThreadPoolExecutor] = {}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlNotAllowed(DomainError):
    code = "url_not_allowed"
    status = 400
    field = "url"
    template = _("This URL cannot receive webhooks: %(reason)s.")

    def __init__(self, *, reason: str):
        super().__init__(reason=reason)

    def render(self) -> str:
        return str(self.template) % {"reason": REASONS[self.params["reason"]]}


@dataclass(frozen=True)
class UrlTarget:
    scheme: str
    host: str  # as the URL names it: the Host header and, over TLS, the name verified
    port: int
    addresses: tuple[str, ...]  # every address the host resolved to, all checked: tried in turn
    target: str  # path and query, as sent in the request line


def address_is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        embedded = [address.ipv4_mapped, address.sixtofour]
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if any(inner is not None and not address_is_public(inner) for inner in embedded):
            return False
    return address.is_global and not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def url_target(
    url: str, *, allow_private: bool | None = None, timeout: float = RESOLVE_TIMEOUT_SECONDS
) -> UrlTarget:
    """Where `url` goes, checked; raises UrlNotAllowed with the reason."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    if len(url) > URL_MAX_LENGTH:
        raise UrlNotAllowed(reason="length")
    if not url.isprintable() or any(character.isspace() for character in url):
        raise UrlNotAllowed(reason="malformed")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise UrlNotAllowed(reason="malformed") from None
    schemes = ("http", "https") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UrlNotAllowed(reason="scheme_dev" if allow_private else "scheme")
    if not host:
        raise UrlNotAllowed(reason="host")
    if parts.username is not None or parts.password is not None:
        raise UrlNotAllowed(reason="credentials")
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port, timeout=timeout)
    if not allow_private and not all(address_is_public(address) for address in addresses):
        raise UrlNotAllowed(reason="private")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return UrlTarget(
        scheme=parts.scheme,
        host=host,
        port=port,
        addresses=tuple(str(address) for address in addresses),
        target=target,
    )


def _resolver() -> ThreadPoolExecutor:
    pid = os.getpid()
    if pid not in _resolvers:
        _resolvers.clear()
        _resolvers[pid] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhooks-dns")
    return _resolvers[pid]


def _resolve(host: str, port: int, *, timeout: float) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        host.encode("idna")
    except UnicodeError:
        raise UrlNotAllowed(reason="malformed") from None
    future = _resolver().submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        found = future.result(timeout=max(timeout, 0.001))
    except (OSError, UnicodeError, FutureTimeout):
        raise UrlNotAllowed(reason="unresolvable") from None
    addresses: list[IpAddress] = []
    for _family, _type, _proto, _name, sockaddr in found:
        # An IPv6 sockaddr may carry a zone ("fe80::1%eth0"): the address is before it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise UrlNotAllowed(reason="unresolvable")
    return addresses
