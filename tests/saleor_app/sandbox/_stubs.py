"""Tiny WSGI servers standing in for the app (manifest, register, webhook targets)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import make_server

from shop_extensions.saleor_app.sandbox.server import QuietHandler, ThreadingWSGIServer

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@contextmanager
def serve(app: WSGIApp) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class StubApp:
    """Serves ``/manifest`` and ``/register``; ``/hook`` answers from ``hook_statuses`` in turn."""

    manifest: dict[str, Any] = field(default_factory=dict)
    register_status: int = 200
    register_body: dict[str, Any] = field(default_factory=lambda: {"success": True})
    hook_statuses: list[int] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    on_register: Callable[[Request], None] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        request = Request(
            environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, environ["wsgi.input"].read(length)
        )
        self.requests.append(request)
        status, body = 404, {}
        if request.path == "/manifest":
            status, body = 200, self.manifest
        elif request.path == "/register":
            if self.on_register is not None:
                self.on_register(request)
            status, body = self.register_status, self.register_body
        elif request.path == "/hook":
            status, body = (self.hook_statuses.pop(0) if self.hook_statuses else 200), {}
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [json.dumps(body).encode()]
