"""WSGI app for the sandbox: Saleor's GraphQL endpoint, JWKS, and JSON control endpoints."""

from __future__ import annotations

import json
import re
import socketserver
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .apps import InstallError, revoke_token, uninstall_app
from .service import Sandbox
from .state import LineSpec, SandboxError
from .webhooks import DeliveryRecord

StartResponse = Callable[..., Any]
Environ = dict[str, Any]
JsonResponse = tuple[int, Any]

REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
}


class BadRequest(Exception):
    pass


def _decimal(value: Any, name: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise BadRequest(f"{name} must be a decimal string") from exc


def _records(records: Iterable[DeliveryRecord]) -> list[dict[str, Any]]:
    return [r.as_json() for r in records]


class SandboxWSGIApp:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., JsonResponse]]] = [
            ("POST", re.compile(r"^/graphql/?$"), self.graphql),
            ("GET", re.compile(r"^/\.well-known/jwks\.json$"), self.jwks),
            ("POST", re.compile(r"^/sandbox/install$"), self.install),
            ("POST", re.compile(r"^/sandbox/apps/(?P<app_id>[^/]+)/uninstall$"), self.uninstall),
            ("POST", re.compile(r"^/sandbox/apps/(?P<app_id>[^/]+)/revoke-token$"), self.revoke),
            ("GET", re.compile(r"^/sandbox/catalogue$"), self.catalogue),
            ("POST", re.compile(r"^/sandbox/orders$"), self.create_order),
            ("POST", re.compile(r"^/sandbox/orders/(?P<order_id>[^/]+)/refund$"), self.refund),
            ("POST", re.compile(r"^/sandbox/orders/(?P<order_id>[^/]+)/cancel$"), self.cancel),
            ("POST", re.compile(r"^/sandbox/variants/(?P<variant_id>[^/]+)/delete$"), self.delete_variant),
            ("POST", re.compile(r"^/sandbox/keys/rotate$"), self.rotate),
            ("GET", re.compile(r"^/sandbox/deliveries$"), self.deliveries),
        ]

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        status, body = 404, {"error": {"message": f"No route for {method} {path}"}}
        for route_method, pattern, handler in self.routes:
            match = pattern.match(path)
            if not match:
                continue
            if route_method != method:
                status, body = 405, {"error": {"message": f"Use {route_method} for {path}"}}
                continue
            try:
                status, body = handler(environ, **match.groupdict())
            except (BadRequest, SandboxError, InstallError) as exc:
                status, body = 400, {"error": {"message": str(exc)}}
            break
        data = json.dumps(body).encode("utf-8")
        start_response(
            f"{status} {REASONS.get(status, 'Error')}",
            [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
        )
        return iter([data])

    @staticmethod
    def _json(environ: Environ) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise BadRequest("Body is not valid JSON") from exc

    # -- Saleor's endpoints ---------------------------------------------------------------------------
    def graphql(self, environ: Environ) -> JsonResponse:
        try:
            payload = self._json(environ)
        except BadRequest:
            payload = None
        response = self.sandbox.graphql(payload, environ.get("HTTP_AUTHORIZATION"))
        return response.status, response.body

    def jwks(self, environ: Environ) -> JsonResponse:
        return 200, self.sandbox.keys.jwks()

    # -- control endpoints ----------------------------------------------------------------------------
    def install(self, environ: Environ) -> JsonResponse:
        manifest_url = self._json(environ).get("manifest_url")
        if not manifest_url:
            raise BadRequest("manifest_url is required")
        app = self.sandbox.install(manifest_url)
        webhooks = [{"name": w.name, "target_url": w.target_url, "events": w.events} for w in app.webhooks]
        return 201, {"app_id": app.id, "identifier": app.identifier, "token": app.token, "webhooks": webhooks}

    def uninstall(self, environ: Environ, app_id: str) -> JsonResponse:
        if not uninstall_app(self.sandbox.store, app_id):
            raise SandboxError(f"Unknown app {app_id}")
        return 200, {"uninstalled": app_id}

    def revoke(self, environ: Environ, app_id: str) -> JsonResponse:
        if revoke_token(self.sandbox.store, app_id) is None:
            raise SandboxError(f"Unknown app {app_id}")
        return 200, {"revoked": app_id}

    def catalogue(self, environ: Environ) -> JsonResponse:
        store = self.sandbox.store
        with store.lock:
            variants = [
                {
                    "variant_id": v.id,
                    "product_id": store.products[v.product_pk].id,
                    "product": store.products[v.product_pk].name,
                    "name": v.name,
                    "sku": v.sku,
                    "price_gross": str(v.price_gross),
                    "tax_rate": str(v.tax_rate),
                    "stock": sum(s.quantity for s in store.stocks_of(v.pk)),
                }
                for v in store.variants.values()
            ]
        return 200, {"channel": store.channel.slug, "warehouse_id": store.warehouse.id, "variants": variants}

    def create_order(self, environ: Environ) -> JsonResponse:
        body = self._json(environ)
        specs = [
            LineSpec(
                variant_id=line["variant_id"],
                quantity=int(line.get("quantity", 1)),
                unit_discount=_decimal(line.get("unit_discount", "0"), "unit_discount"),
                discount_reason=line.get("discount_reason"),
                is_gift=bool(line.get("is_gift", False)),
            )
            for line in body.get("lines") or []
        ]
        shipping = _decimal(body.get("shipping", "0"), "shipping")
        order, events = self.sandbox.create_paid_order(specs or None, shipping_gross=shipping)
        records = self.sandbox.dispatch(events)
        return 201, {
            "order_id": order.id,
            "number": str(order.number),
            "total": str(order.total_gross),
            "lines": [{"line_id": ln.id, "sku": ln.sku, "quantity": ln.quantity} for ln in order.lines],
            "deliveries": _records(records),
        }

    def refund(self, environ: Environ, order_id: str) -> JsonResponse:
        body = self._json(environ)
        lines = [(str(ln["line_id"]), int(ln["quantity"])) for ln in body.get("lines") or []]
        amount = _decimal(body["amount"], "amount") if body.get("amount") is not None else None
        events = self.sandbox.refund(order_id, lines=lines, amount=amount, reason=body.get("reason"))
        return 200, {"order_id": order_id, "deliveries": _records(self.sandbox.dispatch(events))}

    def cancel(self, environ: Environ, order_id: str) -> JsonResponse:
        events = self.sandbox.cancel(order_id)
        return 200, {"order_id": order_id, "deliveries": _records(self.sandbox.dispatch(events))}

    def delete_variant(self, environ: Environ, variant_id: str) -> JsonResponse:
        events = self.sandbox.store.delete_variant(variant_id)
        return 200, {"variant_id": variant_id, "deliveries": _records(self.sandbox.dispatch(events))}

    def rotate(self, environ: Environ) -> JsonResponse:
        return 200, {"kid": self.sandbox.keys.rotate()}

    def deliveries(self, environ: Environ) -> JsonResponse:
        return 200, {"deliveries": self.sandbox.dispatcher.log()}


class ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_sandbox_server(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 8001, *, quiet: bool = False
) -> ThreadingWSGIServer:
    """Bind the server and point ``sandbox.api_url`` at it (so port 0 works)."""
    handler = QuietHandler if quiet else WSGIRequestHandler
    server = make_server(host, port, SandboxWSGIApp(sandbox), ThreadingWSGIServer, handler)
    assert isinstance(server, ThreadingWSGIServer)
    sandbox.api_url = f"http://{host}:{server.server_port}/graphql/"
    return server


def run_in_thread(sandbox: Sandbox | None = None, host: str = "127.0.0.1") -> tuple[str, Callable[[], None]]:
    """Serve on a free port in a daemon thread; return ``(base_url, stop)``."""
    sandbox = sandbox or Sandbox()
    server = make_sandbox_server(sandbox, host, 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()

    def stop() -> None:
        sandbox.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://{host}:{server.server_port}", stop


@contextmanager
def running_sandbox(sandbox: Sandbox | None = None, host: str = "127.0.0.1") -> Iterator[str]:
    """``with running_sandbox(sb) as base_url: ...``"""
    base_url, stop = run_in_thread(sandbox, host)
    try:
        yield base_url
    finally:
        stop()
