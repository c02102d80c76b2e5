"""A tiny HTTP/1.1 server on 127.0.0.1 in a thread, the base of the provider stand-ins."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class Reply:
    """An HTTP answer."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        self.status = status
        self.body = b"" if body is None else json.dumps(body).encode()
        self.headers = {"Content-Type": "application/json; charset=UTF-8", **(headers or {})}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # send_each opens up to 500 connections at once; the default backlog of 5 refuses them.
    request_queue_size = 1024
    stub: StubServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or was killed has hung up: nothing to report.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.stub.handle(self.command, self.path, dict(self.headers), body)
        except Exception as error:  # a bug in a stand-in shows up as a 500 with its text
            reply = Reply(500, {"error": {"code": 500, "message": repr(error)}})
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class StubServer:
    """Subclasses implement :meth:`handle`; use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError
