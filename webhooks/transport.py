"""One HTTP POST of a delivery, with the standard library's http.client.

- It connects to the addresses webhooks.addresses checked (no second DNS lookup), sending the
  URL's host in the Host header and, over TLS, as the server name the certificate is verified
  against (the system's CA store).
- One deadline for the whole exchange (WEBHOOKS_TIMEOUT_SECONDS, 10 s): resolving, connecting,
  sending, waiting for the answer and reading it; each step gets what is left of it.
- The answer's body is read up to ANSWER_MAX_BYTES (64 KiB) and the connection closed: a
  receiver that answers forever costs that much and no more. Only its start is kept.
- Redirects are not followed (http.client never does): a 3xx is an answer that is not 2xx.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

from webhooks.addresses import UrlNotAllowed, url_target
from webhooks.models import ERROR_MAX_LENGTH, EXCERPT_MAX_CHARACTERS

logger = logging.getLogger(__name__)

ANSWER_MAX_BYTES = 64 * 1024
_CHUNK = 8192


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: int
    excerpt: str
    received_bytes: int = 0

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def summary(self) -> str:
        return str(self.status_code) if self.status_code is not None else self.error[:100]


class _Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("no answer in time")
        return left


def _connected(addresses: tuple[str, ...], port: int, deadline: _Deadline) -> socket.socket:
    """A TCP connection to the first of the checked `addresses` that takes one."""
    failure: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), deadline.left())
        except TimeoutError:
            raise
        except OSError as error:
            failure = error
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise failure or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *, addresses: tuple[str, ...], host: str, port: int, deadline: _Deadline):
        super().__init__(host, port, timeout=deadline.left())
        self.addresses, self.deadline = addresses, deadline

    def connect(self) -> None:
        self.sock = _connected(self.addresses, self.port, self.deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *, addresses: tuple[str, ...], host: str, port: int, deadline: _Deadline):
        super().__init__(host, port, timeout=deadline.left(), context=ssl.create_default_context())
        self.addresses, self.deadline = addresses, deadline

    def connect(self) -> None:
        sock = _connected(self.addresses, self.port, self.deadline)
        sock.settimeout(self.deadline.left())
        # The certificate is verified against the URL's host name, sent as SNI.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(*, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST `body` to `url`; never raises for what the receiver or the network does."""
    started = time.monotonic()
    deadline = _Deadline(float(settings.WEBHOOKS_TIMEOUT_SECONDS))
    connection = None
    status_code = None
    received = b""
    try:
        target = url_target(url, timeout=deadline.left())
        kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
        connection = kind(
            addresses=target.addresses, host=target.host, port=target.port, deadline=deadline
        )
        connection.connect()
        # Kept here: an answer with `Connection: close` makes http.client drop its own
        # reference, while the answer's body is still read from this socket.
        sock = connection.sock
        sock.settimeout(deadline.left())
        connection.request("POST", target.target, body=body, headers=headers)
        sock.settimeout(deadline.left())
        answer = connection.getresponse()
        status_code = answer.status
        while len(received) < ANSWER_MAX_BYTES:
            sock.settimeout(deadline.left())
            chunk = answer.read1(min(_CHUNK, ANSWER_MAX_BYTES - len(received)))
            if not chunk:
                break
            received += chunk
        error = ""
    except UrlNotAllowed as refused:
        error = f"url_not_allowed: {refused.message('en')}"
    except TimeoutError:
        error = "timeout: no answer within the time limit"
    except ssl.SSLError as failed:
        error = f"tls: {failed}"
    except (OSError, http.client.HTTPException) as failed:
        error = _described(failed)
    except Exception as failed:
        # Whatever else a receiver's answer makes the library raise is the attempt's outcome,
        # not the sender's crash (which would hold the row until its lease ran out, each time).
        logger.warning("webhook post to %s failed unexpectedly", url, exc_info=True)
        error = _described(failed)
    finally:
        if connection is not None:
            connection.close()
    if error and status_code is not None:
        # The status line came but the body did not: the answer still counts by its code.
        error = ""
    return Outcome(
        status_code=status_code,
        error=error[:ERROR_MAX_LENGTH],
        duration_ms=round((time.monotonic() - started) * 1000),
        excerpt=received.decode("utf-8", errors="replace")[:EXCERPT_MAX_CHARACTERS],
        received_bytes=len(received),
    )


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
