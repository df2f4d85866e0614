"""A real HTTP receiver for webhook deliveries: http.server in a thread on 127.0.0.1 with a free
port. It keeps every request it gets (headers and the raw body bytes) and answers from a script
(`answer(...)`, then the default: 200). An answer may wait before answering, never answer until
released, or stream a body of any length; every wait is bounded, so the server always stops."""

from __future__ import annotations

import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# No answer ever waits longer than this, whatever the script says: the test's teardown then
# releases them all at once.
LONGEST_WAIT_SECONDS = 30.0


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering
    hang: bool = False  # answer only once released (or after LONGEST_WAIT_SECONDS)
    stream_bytes: int = 0  # instead of `body`: this many bytes, with no Content-Length
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    script: deque[Answer] = field(default_factory=deque)
    released: threading.Event = field(default_factory=threading.Event)
    streamed: list[int] = field(default_factory=list)  # bytes written per streamed answer
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def answer(self, *answers: Answer) -> None:
        self.script.extend(answers)

    def next_answer(self) -> Answer:
        try:
            return self.script.popleft()
        except IndexError:
            return Answer()

    def keep(self, received: Received) -> None:
        with self._arrived:
            self.requests.append(received)
            self._arrived.notify_all()

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Received]:
        """The first `count` requests, waiting for them (they come from another thread or
        process)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{len(self.requests)} requests within {timeout}s, expected {count}"
                    )
                self._arrived.wait(remaining)
            return list(self.requests[:count])

    def bodies(self) -> list[bytes]:
        with self._arrived:
            return [received.body for received in self.requests]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.keep(Received(self.path, dict(self.headers.items()), body, time.time()))
            answer = receiver.next_answer()
            if answer.hang:
                receiver.released.wait(LONGEST_WAIT_SECONDS)
            elif answer.delay:
                receiver.released.wait(min(answer.delay, LONGEST_WAIT_SECONDS))
            try:
                self.send_response(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                if answer.stream_bytes:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self._stream(answer.stream_bytes)
                    return
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up first

        def _stream(self, total: int) -> None:
            chunk = b"x" * 65536
            written = 0
            try:
                while written < total:
                    self.wfile.write(chunk)
                    written += len(chunk)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                receiver.streamed.append(written)
            self.close_connection = True

        def log_message(self, format, *args):
            pass

    return Handler


def receiver_start(*, tls: tuple[str, str] | None = None) -> Receiver:
    """A receiver; with `tls` (a certificate and its key, PEM files) it speaks HTTPS."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    receiver = Receiver(server=server)
    server.RequestHandlerClass = _handler(receiver)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return receiver


def receiver_stop(receiver: Receiver) -> None:
    receiver.released.set()
    receiver.server.shutdown()
    receiver.server.server_close()
