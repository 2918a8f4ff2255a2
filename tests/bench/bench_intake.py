"""`make bench`: signed ORDER_FULLY_PAID deliveries accepted per second by the webhook intake, against a bare
Django view returning 200, both under gunicorn on this machine, measured in the same run; then the intake's
latency at a fixed 100 requests/s.

Goal (issue 2): intake >= 50% of the bare view's throughput; p99 < 50 ms at 100 requests/s.
The deliveries are real: the Saleor sandbox installs the app through /api/register and signs every body
exactly as Saleor does; each request is a distinct delivery (a new issuedAt), so none is a cheap duplicate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg
from cryptography.fernet import Fernet

from tests.bench.database import fresh_database
from tests.bench.loadgen import Result, build_request, closed_loop, cycle, open_loop
from tests.bench.webserver import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DB_NAME = "rode_draad_bench"


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14"
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return url
    except OSError:
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 4)))
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()

    from shop_extensions.saleor_app.sandbox.server import running_sandbox
    from shop_extensions.saleor_app.sandbox.service import Sandbox

    web_port = free_port()
    broker = redis_url()
    sandbox = Sandbox(retry_delays=())
    with running_sandbox(sandbox) as sandbox_url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
            "DJANGO_SECRET_KEY": "bench-only-" + Fernet.generate_key().decode(),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "DATABASE_URL": fresh_database(DB_NAME),
            "REDIS_URL": broker or "redis://127.0.0.1:6379/14",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{web_port}",
            "SALEOR_ALLOWED_API_URLS": f"{sandbox_url}/graphql/",
            "LOG_LEVEL": "ERROR",
        }
        if not broker:
            env["CELERY_BROKER_URL"] = "filesystem://"
            print("no Redis on 127.0.0.1:6379: the intake enqueues to the filesystem broker instead")
        subprocess.run(
            [str(BIN / "python"), "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True
        )
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "backend.wsgi:application", "--bind", f"127.0.0.1:{web_port}",
             "--workers", str(args.workers), "--worker-class", "sync", "--log-level", "error"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            return run(args, sandbox, sandbox_url, web_port, env)
        finally:
            server.terminate()
            server.wait(timeout=20)


def run(args: argparse.Namespace, sandbox, sandbox_url: str, web_port: int, env: dict[str, str]) -> int:
    web = f"http://127.0.0.1:{web_port}"
    for _ in range(100):
        try:
            if httpx.get(f"{web}/api/manifest", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    sandbox.install(f"{web}/api/manifest")  # the real install: manifest, register, {app{id}}, JWKS

    templates = []
    for _ in range(20):
        _order, events = sandbox.create_paid_order()
        templates += [d for d in sandbox.deliveries(events) if d.event == "order_fully_paid"]
    needed = int(args.rounds * args.seconds * 1500 + args.rate * args.rate_seconds + 200)
    print(f"signing {needed} distinct ORDER_FULLY_PAID deliveries "
          f"(body {len(templates[0].body)} bytes) ...", flush=True)  # fmt: skip
    intake_requests, bare_requests = [], []
    for i in range(needed):
        template = templates[i % len(templates)]
        body = re.sub(rb'"issuedAt": "[^"]+"', f'"issuedAt": "2026-11-29T12:00:00.{i:06d}+00:00"'.encode(),
                      template.body, count=1)  # fmt: skip
        headers = {**template.headers, "Saleor-Signature": sandbox.keys.sign(body)}
        headers.pop("X-Saleor-Signature", None)
        path = httpx.URL(template.url).path
        intake_requests.append(build_request(path, body, headers, "127.0.0.1", web_port))
        bare_requests.append(build_request("/bench/bare", body, headers, "127.0.0.1", web_port))

    results: list[Result] = []
    intake_iter = iter(intake_requests)
    # Warm every worker on both paths (database and broker connections, key cache) before measuring.
    warm_bare = asyncio.run(closed_loop("warm-up bare", "127.0.0.1", web_port, cycle(bare_requests),
                                        concurrency=args.concurrency, seconds=2))  # fmt: skip
    warm_intake = asyncio.run(closed_loop("warm-up intake", "127.0.0.1", web_port, intake_iter,
                                          concurrency=args.concurrency, seconds=2))  # fmt: skip
    del warm_bare
    for round_no in range(1, args.rounds + 1):
        for label, requests in (("bare Django view", cycle(bare_requests)), ("webhook intake", intake_iter)):
            result = asyncio.run(closed_loop(f"{label} (round {round_no})", "127.0.0.1", web_port, requests,
                                             concurrency=args.concurrency, seconds=args.seconds))  # fmt: skip
            results.append(result)
            print(result.line(), flush=True)
    remaining = list(intake_iter)[: int(args.rate * args.rate_seconds)]
    latency = asyncio.run(open_loop(f"intake at {args.rate:.0f} req/s", "127.0.0.1", web_port, remaining,
                                    rate=args.rate))  # fmt: skip
    print(latency.line())

    bare = [r.rps for r in results if r.label.startswith("bare")]
    intake = [r.rps for r in results if r.label.startswith("webhook")]
    ratios = [i / b for i, b in zip(intake, bare, strict=True)]
    stored = _stored(env)
    accepted = sum(r.statuses.get(200, 0) for r in [*results, latency, warm_intake] if "intake" in r.label)
    summary = {
        "workers": args.workers,
        "concurrency": args.concurrency,
        "bare_rps": bare,
        "intake_rps": intake,
        "intake_over_bare": [round(r, 3) for r in ratios],
        "median_ratio": round(sorted(ratios)[len(ratios) // 2], 3),
        "p50_ms_at_rate": round(latency.pct(0.5), 2),
        "p99_ms_at_rate": round(latency.pct(0.99), 2),
        "rate": args.rate,
        "accepted_200": accepted,
        "inbox_rows": stored,
        "cpu_count": os.cpu_count(),
    }
    print(json.dumps(summary, indent=2))
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "intake.json").write_text(json.dumps(summary, indent=2))
    ok = summary["median_ratio"] >= 0.5 and summary["p99_ms_at_rate"] < 50 and stored == accepted
    print(("goals met" if ok else "goals NOT met") + ": intake >= 50% of bare, p99 < 50 ms, every 200 stored")
    return 0


def _stored(env: dict[str, str]) -> int:
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT count(*) FROM saleor_app_webhookdelivery").fetchone()
    return int(row[0]) if row else 0


if __name__ == "__main__":
    raise SystemExit(main())
