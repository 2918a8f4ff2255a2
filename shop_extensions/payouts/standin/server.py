"""A stateful stand-in for the part of Stripe's API the payouts use, for tests, the bench and `make demo`.

It keeps Stripe's idempotency rules (same key + same parameters → the stored response; same key + other
parameters → 400 ``idempotency_error``; a key in flight → 409; keys forgotten after 24 h), a token-bucket rate
limit answering 429 in Stripe's error shape, injected faults (429, 500, a timeout, "created but the response
was lost"), and sends signed webhooks (``Stripe-Signature: t=…,v1=HMAC-SHA256``) to the app.

The real stripe-python client talks to it over HTTP (``base_addresses``). Control endpoints live under
``/_standin/``; they are not Stripe's and are not rate limited."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import secrets
import threading
import time
import urllib.request
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DAY = 24 * 3600


def nested(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``a[b][c]=v`` form encoding (as stripe-python sends it) to nested dicts."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class TokenBucket:
    def __init__(self, rate: float, clock: Any = time.monotonic) -> None:
        self.rate, self.clock = rate, clock
        self.tokens, self.stamp = rate, clock()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = self.clock()
            self.tokens = min(self.rate, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


@dataclass
class Faults:
    """Probabilities per request to the Stripe API, plus a queue of faults for the next requests."""

    p429: float = 0.0
    p500: float = 0.0
    ptimeout: float = 0.0
    plost: float = 0.0
    queue: deque[str] = field(default_factory=deque)
    timeout_seconds: float = 3.0

    def pick(self, rng: random.Random) -> str | None:
        if self.queue:
            return self.queue.popleft()
        roll = rng.random()
        for name, p in (
            ("429", self.p429),
            ("500", self.p500),
            ("timeout", self.ptimeout),
            ("lost", self.plost),
        ):
            if roll < p:
                return name
            roll -= p
        return None


class StripeError(Exception):
    def __init__(self, status: int, type_: str, message: str, code: str = "") -> None:
        super().__init__(message)
        self.status, self.body = status, {"error": {"type": type_, "message": message}}
        if code:
            self.body["error"]["code"] = code


class State:
    def __init__(self, *, rate: float = 25.0, seed: int = 0) -> None:
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.bucket = TokenBucket(rate)
        self.faults = Faults()
        self.clock_offset = 0.0
        self.ids = itertools.count(1)
        self.accounts: dict[str, dict[str, Any]] = {}
        self.balances: dict[str, int] = {}  # per connected account, cents
        self.transfers: dict[str, dict[str, Any]] = {}
        self.links: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self.idempotency: dict[str, dict[str, Any]] = {}
        self.in_flight: set[str] = set()
        self.webhooks: dict[str, tuple[str, str]] = {}  # endpoint -> (url, secret)
        self.stats = {"requests": 0, "rate_limited": 0, "faults": 0, "served": 0}
        self.public_url = ""

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_standin{next(self.ids):06d}{secrets.token_hex(3)}"

    # --- events ------------------------------------------------------------------------------------
    def emit(self, type_: str, obj: dict[str, Any], *, account: str | None = None) -> dict[str, Any]:
        event = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "type": type_,
            "created": self.now(),
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if account:
            event["account"] = account
        with self.lock:
            self.events.append(event)
        self.deliver(event)
        return event

    def deliver(
        self, event: dict[str, Any], *, secret: str | None = None, timestamp: int | None = None
    ) -> int:
        endpoint = "connect" if event.get("account") else "platform"
        target = self.webhooks.get(endpoint)
        if not target:
            return 0
        url, endpoint_secret = target
        body = json.dumps(event).encode()
        header = sign(body, secret or endpoint_secret, timestamp if timestamp is not None else self.now())
        if not url.startswith(("http://", "https://")):
            return 0
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            url, data=body, headers={"Content-Type": "application/json", "Stripe-Signature": header}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0

    # --- accounts ----------------------------------------------------------------------------------
    def account_create(self, params: dict[str, Any]) -> dict[str, Any]:
        account_id = self.new_id("acct")
        account = {
            "id": account_id,
            "object": "account",
            "country": params.get("country", "NL"),
            "email": params.get("email"),
            "controller": params.get("controller", {}),
            "capabilities": {"transfers": "inactive"},
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "requirements": {
                "currently_due": ["individual.first_name", "individual.last_name", "external_account"],
                "disabled_reason": "requirements.past_due",
            },
            "tos_acceptance": params.get("tos_acceptance", {}),
            "metadata": params.get("metadata", {}),
            "created": self.now(),
        }
        self.accounts[account_id] = account
        self.balances[account_id] = 0
        return account

    def account_complete(self, account_id: str) -> dict[str, Any]:
        account = self._account(account_id)
        account.update(
            capabilities={"transfers": "active"},
            payouts_enabled=True,
            details_submitted=True,
            requirements={"currently_due": [], "disabled_reason": None},
        )
        self.emit("account.updated", account, account=account_id)
        return account

    def _account(self, account_id: str) -> dict[str, Any]:
        account = self.accounts.get(account_id)
        if account is None:
            raise StripeError(
                404, "invalid_request_error", f"No such account: '{account_id}'", "resource_missing"
            )
        return account

    def account_link_create(self, params: dict[str, Any]) -> dict[str, Any]:
        self._account(params.get("account", ""))
        link_id = self.new_id("link")
        self.links[link_id] = {**params, "expires_at": self.now() + 300, "used": False}
        return {
            "object": "account_link",
            "created": self.now(),
            "expires_at": self.now() + 300,
            "url": f"{self.public_url}/_standin/onboarding/{link_id}",
        }

    # --- transfers ---------------------------------------------------------------------------------
    def transfer_create(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(params["amount"])
        except (KeyError, ValueError):
            raise StripeError(
                400, "invalid_request_error", "Missing required param: amount.", "parameter_missing"
            ) from None
        destination = params.get("destination", "")
        account = self._account(destination)
        if account["capabilities"].get("transfers") != "active":
            raise StripeError(
                400,
                "invalid_request_error",
                "Your destination account needs to have the transfers capability enabled.",
                "insufficient_capabilities_for_transfer",
            )
        if amount <= 0:
            raise StripeError(
                400, "invalid_request_error", "Amount must be positive.", "parameter_invalid_integer"
            )
        transfer_id = self.new_id("tr")
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": params.get("currency", "eur"),
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "reversed": False,
            "reversals": {
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
            "created": self.now(),
            "livemode": False,
        }
        self.transfers[transfer_id] = transfer
        self.balances[destination] = self.balances.get(destination, 0) + amount
        return transfer

    def _transfer(self, transfer_id: str) -> dict[str, Any]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            raise StripeError(
                404, "invalid_request_error", f"No such transfer: '{transfer_id}'", "resource_missing"
            )
        return transfer

    def transfer_reverse(self, transfer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        transfer = self._transfer(transfer_id)
        left = transfer["amount"] - transfer["amount_reversed"]
        amount = int(params.get("amount", left))
        if amount <= 0 or amount > left:
            raise StripeError(400, "invalid_request_error", "Amount exceeds what is left on the transfer.")
        if self.balances.get(transfer["destination"], 0) < amount:
            raise StripeError(
                400,
                "invalid_request_error",
                "Insufficient funds in the connected account's balance.",
                "balance_insufficient",
            )
        reversal = {
            "id": self.new_id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "currency": transfer["currency"],
            "transfer": transfer_id,
            "metadata": params.get("metadata", {}),
            "created": self.now(),
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        self.balances[transfer["destination"]] -= amount
        self.emit("transfer.reversed", transfer)
        return reversal

    def transfers_list(self, query: dict[str, str]) -> dict[str, Any]:
        group = query.get("transfer_group")
        destination = query.get("destination")
        data = [
            t
            for t in reversed(list(self.transfers.values()))
            if (group is None or t["transfer_group"] == group)
            and (destination is None or t["destination"] == destination)
        ]
        limit = int(query.get("limit", 10))
        return {"object": "list", "data": data[:limit], "has_more": len(data) > limit, "url": "/v1/transfers"}

    def account_payout(self, account_id: str, status: str, failure: str = "") -> dict[str, Any]:
        """The connected account's own payout to the maker's bank: paid, or failed (money stays)."""
        self._account(account_id)
        amount = self.balances.get(account_id, 0)
        payout = {
            "id": self.new_id("po"),
            "object": "payout",
            "amount": amount,
            "currency": "eur",
            "status": status,
            "arrival_date": self.now(),
            "created": self.now(),
            "failure_code": failure or None,
            "failure_message": "The bank account details are not correct." if status == "failed" else None,
        }
        if status == "paid":
            self.balances[account_id] = 0
        self.emit(f"payout.{status}", payout, account=account_id)
        return payout

    # --- idempotency -------------------------------------------------------------------------------
    def expire_keys(self) -> None:
        cutoff = self.now() - DAY
        for key in [k for k, v in self.idempotency.items() if v["at"] < cutoff]:
            del self.idempotency[key]


class Handler(BaseHTTPRequestHandler):
    server: StandinServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def state(self) -> State:
        return self.server.state

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self._body()
        if parts.path.startswith("/_standin/"):
            try:
                status, body, ctype = self._control(method, parts.path, parts.query, raw)
            except StripeError as exc:
                status, body, ctype = exc.status, exc.body, "application/json"
            self._send(status, body, ctype)
            return
        state = self.state
        with state.lock:
            state.stats["requests"] += 1
        if not self.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            self._send(
                401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided."}}
            )
            return
        if not state.bucket.take():
            with state.lock:
                state.stats["rate_limited"] += 1
            self._send(429, _rate_limit_body())
            return
        with state.lock:
            fault = state.faults.pick(state.rng)
        if fault == "429":
            with state.lock:
                state.stats["faults"] += 1
            self._send(429, _rate_limit_body())
            return
        if fault == "500":
            with state.lock:
                state.stats["faults"] += 1
            self._send(
                500, {"error": {"type": "api_error", "message": "An unknown error occurred (stand-in)."}}
            )
            return
        params = nested(parse_qsl(raw.decode(), keep_blank_values=True)) if method == "POST" else {}
        query = dict(parse_qsl(parts.query))
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        status, body = self._api(method, parts.path, params, query, key)
        if fault in {"timeout", "lost"}:
            with state.lock:
                state.stats["faults"] += 1
            if fault == "timeout":
                time.sleep(state.faults.timeout_seconds)
            self.close_connection = True
            return  # carried out; the answer never reaches the client
        with state.lock:
            state.stats["served"] += 1
        self._send(status, body)

    def _api(
        self, method: str, path: str, params: dict[str, Any], query: dict[str, str], key: str | None
    ) -> tuple[int, Any]:
        state = self.state
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        if key:
            with state.lock:
                state.expire_keys()
                stored = state.idempotency.get(key)
                if stored is not None:
                    if stored["fingerprint"] != fingerprint:
                        return 400, {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the same "
                                "parameters they were first used with. Try using a key other than "
                                f"'{key}' if you meant to execute a different request.",
                            }
                        }
                    return stored["status"], stored["body"]
                if key in state.in_flight:
                    return 409, {
                        "error": {
                            "type": "idempotency_error",
                            "code": "idempotency_key_in_use",
                            "message": "There is currently another in-progress request using this Stripe "
                            "token (probably the same idempotency key).",
                        }
                    }
                state.in_flight.add(key)
        try:
            with state.lock:
                try:
                    status, body = 200, self._route(method, path, params, query)
                except StripeError as exc:
                    status, body = exc.status, exc.body
            if key:
                with state.lock:
                    # Stripe saves a result once the endpoint started executing (errors included).
                    state.idempotency[key] = {
                        "fingerprint": fingerprint,
                        "status": status,
                        "body": body,
                        "at": state.now(),
                    }
            return status, body
        finally:
            if key:
                with state.lock:
                    state.in_flight.discard(key)

    def _route(self, method: str, path: str, params: dict[str, Any], query: dict[str, str]) -> Any:
        state = self.state
        segments = [s for s in path.split("/") if s]
        match method, segments:
            case "POST", ["v1", "accounts"]:
                return state.account_create(params)
            case "GET", ["v1", "accounts", account_id]:
                return state._account(account_id)
            case "POST", ["v1", "account_links"]:
                return state.account_link_create(params)
            case "POST", ["v1", "transfers"]:
                return state.transfer_create(params)
            case "GET", ["v1", "transfers"]:
                return state.transfers_list(query)
            case "GET", ["v1", "transfers", transfer_id]:
                return state._transfer(transfer_id)
            case "POST", ["v1", "transfers", transfer_id, "reversals"]:
                return state.transfer_reverse(transfer_id, params)
            case "GET", ["v1", "events"]:
                data = list(reversed(state.events))[: int(query.get("limit", 10))]
                return {"object": "list", "data": data, "has_more": False, "url": "/v1/events"}
        raise StripeError(404, "invalid_request_error", f"Unrecognized request URL ({method}: {path}).")

    def _control(self, method: str, path: str, query: str, raw: bytes) -> tuple[int, Any, str]:
        state = self.state
        body = json.loads(raw or b"{}") if method == "POST" else {}
        segments = [s for s in path.split("/") if s][1:]
        with state.lock:
            match method, segments:
                case "GET", ["health"]:
                    return 200, {"ok": True}, "application/json"
                case "GET", ["stats"]:
                    return 200, self._stats(), "application/json"
                case "POST", ["webhooks"]:
                    for endpoint, target in body.items():
                        state.webhooks[endpoint] = (target["url"], target["secret"])
                    return 200, {"ok": True}, "application/json"
                case "POST", ["faults"]:
                    faults = state.faults
                    for name in ("p429", "p500", "ptimeout", "plost", "timeout_seconds"):
                        if name in body:
                            setattr(faults, name, float(body[name]))
                    if "queue" in body:
                        faults.queue = deque(body["queue"])
                    if "rate" in body:
                        state.bucket = TokenBucket(float(body["rate"]))
                    return 200, {"ok": True}, "application/json"
                case "POST", ["clock"]:
                    state.clock_offset += float(body.get("advance", 0))
                    return 200, {"now": state.now()}, "application/json"
                case "POST", ["accounts", "bulk"]:
                    # Many accounts that finished onboarding at once (benchmarks), without a webhook each.
                    ids = []
                    for _ in range(int(body.get("count", 1))):
                        account = state.account_create({"country": "NL"})
                        account.update(
                            capabilities={"transfers": "active"}, payouts_enabled=True, details_submitted=True
                        )
                        ids.append(account["id"])
                    return 200, {"ids": ids}, "application/json"
                case "GET", ["transfers"]:
                    compact = [
                        {
                            k: t[k]
                            for k in ("id", "transfer_group", "amount", "destination", "amount_reversed")
                        }
                        for t in state.transfers.values()
                    ]
                    return 200, {"data": compact}, "application/json"
                case "POST", ["accounts", account_id, "complete"]:
                    return 200, state.account_complete(account_id), "application/json"
                case "POST", ["accounts", account_id, "payout"]:
                    payout = state.account_payout(
                        account_id, body.get("status", "paid"), body.get("failure", "")
                    )
                    return 200, payout, "application/json"
                case "POST", ["events"]:
                    event = state.emit(body["type"], body["object"], account=body.get("account"))
                    return 200, event, "application/json"
                case "GET", ["onboarding", link_id]:
                    return self._onboarding(link_id)
        raise StripeError(404, "invalid_request_error", f"no stand-in control {method} {path}")

    def _onboarding(self, link_id: str) -> tuple[int, Any, str]:
        """The hosted onboarding page: single use, expires after 300 s; here it completes the account."""
        state = self.state
        link = state.links.get(link_id)
        if link is None or link["used"] or link["expires_at"] < state.now():
            target = link["refresh_url"] if link else ""
            return (
                200,
                f'<p>This link has expired. <a href="{target}">Get a new one</a>.</p>'.encode(),
                "text/html",
            )
        link["used"] = True
        state.account_complete(link["account"])
        page = f'<p>Stripe stand-in: your details are complete.</p><a href="{link["return_url"]}">Back</a>'
        return 200, page.encode(), "text/html"

    def _stats(self) -> dict[str, Any]:
        state = self.state
        return {
            **state.stats,
            "transfers": len(state.transfers),
            "accounts": len(state.accounts),
            "events": len(state.events),
        }


def _rate_limit_body() -> dict[str, Any]:
    return {
        "error": {
            "type": "invalid_request_error",
            "code": "rate_limit",
            "message": "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
        }
    }


class StandinServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State) -> None:
        super().__init__(address, Handler)
        self.state = state
        host, port = self.server_address[:2]
        state.public_url = f"http://{host!s}:{port}"


class Standin:
    """Run the stand-in in a thread (tests, bench): ``with Standin() as s: s.url``."""

    def __init__(self, *, rate: float = 25.0, seed: int = 0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = State(rate=rate, seed=seed)
        self.server = StandinServer((host, port), self.state)
        self.url = self.state.public_url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="stripe-standin")

    def __enter__(self) -> Standin:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
