"""CLI: ``python -m shop_extensions.saleor_app.sandbox serve|install|place-orders|refund|cancel|deliveries``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

import httpx

DEFAULT_SANDBOX = "http://127.0.0.1:8001"


def _delays(text: str) -> tuple[float, ...]:
    return tuple(float(part) for part in text.split(",") if part.strip())


def _call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(method, url, json=body, timeout=60.0)
    data = response.json()
    if response.is_error:
        print(json.dumps(data, indent=2), file=sys.stderr)
        raise SystemExit(1)
    return data


def serve(args: argparse.Namespace) -> None:
    from .graphql_api import get_schema
    from .server import make_sandbox_server
    from .service import Sandbox

    get_schema()  # fail fast when the schema is missing
    sandbox = Sandbox(key_file=args.key_file, retry_delays=_delays(args.retry_delays))
    server = make_sandbox_server(sandbox, args.host, args.port)
    print(
        f"Saleor sandbox on http://{args.host}:{server.server_port}/graphql/ (kid {sandbox.keys.kid})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
        server.server_close()


def install(args: argparse.Namespace) -> None:
    data = _call("POST", f"{args.sandbox}/sandbox/install", {"manifest_url": args.manifest_url})
    print(json.dumps(data, indent=2))


def place_orders(args: argparse.Namespace) -> None:
    for _ in range(args.count):
        data = _call("POST", f"{args.sandbox}/sandbox/orders", {})
        outcomes = ", ".join(f"{d['event']}:{d['status']}" for d in data["deliveries"]) or "no webhooks"
        print(f"order {data['number']} {data['order_id']} total {data['total']} → {outcomes}")


def refund(args: argparse.Namespace) -> None:
    body: dict[str, Any] = {}
    if args.amount:
        body["amount"] = args.amount
    if args.line:
        body["lines"] = [
            {"line_id": lid, "quantity": int(qty)} for lid, qty in (x.split(":") for x in args.line)
        ]
    print(json.dumps(_call("POST", f"{args.sandbox}/sandbox/orders/{args.order_id}/refund", body), indent=2))


def cancel(args: argparse.Namespace) -> None:
    print(json.dumps(_call("POST", f"{args.sandbox}/sandbox/orders/{args.order_id}/cancel"), indent=2))


def deliveries(args: argparse.Namespace) -> None:
    print(json.dumps(_call("GET", f"{args.sandbox}/sandbox/deliveries"), indent=2))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shop_extensions.saleor_app.sandbox")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the sandbox server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--key-file", default=None, help="PEM file for the signing key (created if absent)")
    p.add_argument("--retry-delays", default="10,20,40,80,160", help="webhook retry delays in seconds")
    p.set_defaults(func=serve)

    def client(name: str, func: Any, help_text: str) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=help_text)
        c.add_argument("--sandbox", default=DEFAULT_SANDBOX)
        c.set_defaults(func=func)
        return c

    client("install", install, "install an app from its manifest URL").add_argument(
        "--manifest-url", required=True
    )
    client("place-orders", place_orders, "create and pay random orders").add_argument(
        "--count", type=int, default=1
    )
    r = client("refund", refund, "refund an order by lines or amount")
    r.add_argument("order_id")
    r.add_argument("--amount")
    r.add_argument("--line", action="append", help="LINE_ID:QUANTITY (repeatable)")
    client("cancel", cancel, "cancel an order").add_argument("order_id")
    client("deliveries", deliveries, "show the webhook delivery log")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
