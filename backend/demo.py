"""`make demo`: the whole of Rode Draad on one machine, with nothing installed but the virtualenv.

Starts PostgreSQL (embedded, unless DATABASE_URL is set), migrates and seeds, starts the web server, a Celery
worker and beat (Redis when REDIS_URL is set, else kombu's filesystem broker under .local/broker), and the
Saleor sandbox; lets the sandbox install the app for real and place paid orders whose webhooks arrive
signed; prints the URLs; stops everything it started on Ctrl-C. ``--once`` stops after checking it worked.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
BIN = Path(sys.executable).parent


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as sock:
            # As the servers will: a port whose last connections linger in TIME_WAIT is still free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free port")


def _wait(url: str, what: str, procs: dict[str, subprocess.Popen[bytes]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with code {proc.returncode} while waiting for {what}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not come up at {url} within {timeout:.0f} s")


def worker_allocator(env: dict[str, str]) -> dict[str, str]:
    """jemalloc for the worker when the machine has it (Debian: libjemalloc2): typst renders statements about
    9 % faster with it than with glibc's malloc (tests/bench/bench_statements.py); deploy/ does the same."""
    if env.get("LD_PRELOAD"):
        return {}
    found = sorted(Path("/usr/lib").glob("*-linux-gnu/libjemalloc.so.2"))
    return {"LD_PRELOAD": str(found[0])} if found else {}


class Demo:
    def __init__(self, *, web_port: int, sandbox_port: int, orders: int) -> None:
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.web_port, self.sandbox_port, self.orders = web_port, sandbox_port, orders
        self.web = f"http://127.0.0.1:{web_port}"
        self.sandbox = f"http://127.0.0.1:{sandbox_port}"
        self.env = dict(os.environ)

    def prepare(self) -> None:
        LOCAL.mkdir(exist_ok=True)
        self.env.update(
            DJANGO_SETTINGS_MODULE="backend.settings.dev",
            PUBLIC_BASE_URL=self.web,
            SALEOR_ALLOWED_API_URLS=f"{self.sandbox}/graphql/",
            LOG_FORMAT=self.env.get("LOG_FORMAT", "console"),
            PYTHONUNBUFFERED="1",
        )
        if not self.env.get("DATABASE_URL"):
            from backend.embedded_db import database_url
            from backend.settings.env import CONFIG

            # This process holds the embedded server; it stops when the demo exits.
            self.env["DATABASE_URL"] = database_url(CONFIG.embedded_pg_dir, "rode_draad")
            print(f"PostgreSQL: embedded, data in {CONFIG.embedded_pg_dir}")
        else:
            print("PostgreSQL: DATABASE_URL")
        self.stripe_port = 0
        if not self.env.get("STRIPE_SECRET_KEY"):
            # No Stripe keys: the local Stripe stand-in (shop_extensions/payouts/standin) takes Stripe's place.
            self.stripe_port = _free_port(12111)
            self.env.update(
                STRIPE_SECRET_KEY="sk_test_standin_demo",  # noqa: S106 - the stand-in accepts any test key
                STRIPE_API_BASE=f"http://127.0.0.1:{self.stripe_port}",
                STRIPE_WEBHOOK_SECRET=f"whsec_standin_{secrets.token_hex(16)}",
                STRIPE_CONNECT_WEBHOOK_SECRET=f"whsec_standin_{secrets.token_hex(16)}",
            )
        print(f"Stripe: {self.env.get('STRIPE_API_BASE') or 'Stripe test mode (STRIPE_SECRET_KEY)'}")
        broker = (
            self.env.get("CELERY_BROKER_URL") or self.env.get("REDIS_URL") or "filesystem:// (.local/broker)"
        )
        print(f"Celery broker: {broker}")
        manage = [str(BIN / "python"), "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        password_file = LOCAL / "secrets" / "demo-coordinator-password"
        subprocess.run(
            [*manage, "seed_demo", "--password-file", str(password_file)], cwd=ROOT, env=self.env, check=True
        )
        self.password_file = password_file

    def _start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = open(LOCAL / f"{name}.log", "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.procs[name] = subprocess.Popen(
            args,
            cwd=ROOT,
            env={**self.env, **(env or {})},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self) -> None:
        self._start(
            "sandbox",
            [
                str(BIN / "python"),
                "-m",
                "shop_extensions.saleor_app.sandbox",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.sandbox_port),
                "--key-file",
                str(LOCAL / "sandbox" / "key.pem"),
            ],
        )
        self._start(
            "web",
            [
                str(BIN / "gunicorn"),
                "backend.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
            ],
        )
        self._start(
            "worker",
            [
                str(BIN / "celery"),
                "-A",
                "backend",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
            ],
            env=worker_allocator(self.env),
        )
        self._start(
            "beat",
            [
                str(BIN / "celery"),
                "-A",
                "backend",
                "beat",
                "-l",
                "info",
                "--schedule",
                str(LOCAL / "celerybeat-schedule"),
            ],
        )
        if self.stripe_port:
            hooks = {
                "platform": {
                    "url": f"{self.web}/payouts/stripe/webhook",
                    "secret": self.env["STRIPE_WEBHOOK_SECRET"],
                },
                "connect": {
                    "url": f"{self.web}/payouts/stripe/connect-webhook",
                    "secret": self.env["STRIPE_CONNECT_WEBHOOK_SECRET"],
                },
            }
            self._start(
                "stripe",
                [
                    *(str(BIN / "python"), "-m", "shop_extensions.payouts.standin"),
                    *("--port", str(self.stripe_port), "--webhooks", json.dumps(hooks)),
                ],
            )
            _wait(f"{self.env['STRIPE_API_BASE']}/_standin/health", "the Stripe stand-in", self.procs)
        _wait(f"{self.web}/healthz", "the web server", self.procs)
        _wait(f"{self.sandbox}/.well-known/jwks.json", "the Saleor sandbox", self.procs)

    def install_and_order(self) -> int:
        manifest_url = f"{self.web}/api/manifest"
        response = httpx.post(
            f"{self.sandbox}/sandbox/install", json={"manifest_url": manifest_url}, timeout=60
        )
        if not response.is_success:
            raise RuntimeError(f"the sandbox could not install the app: {response.text}")
        print(f"Installed the app into the sandbox from {manifest_url}")
        subprocess.run(
            [str(BIN / "python"), "manage.py", "seed_demo", "--saleor-api-url", f"{self.sandbox}/graphql/"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        for _ in range(self.orders):
            response = httpx.post(f"{self.sandbox}/sandbox/orders", json={}, timeout=120)
            if not response.is_success:
                raise RuntimeError(f"the sandbox could not place an order: {response.text}")
            order = response.json()
            print(f"Placed and paid order {order.get('number', order.get('id'))}")
        return self._wait_processed()

    def _wait_processed(self, timeout: float = 60) -> int:
        os.environ.update({k: self.env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")})
        import django

        django.setup()
        from shop_extensions.saleor_app.models import DeliveryStatus, WebhookDelivery

        deadline = time.monotonic() + timeout
        since = self.started_at
        while time.monotonic() < deadline:
            rows = WebhookDelivery.objects.filter(received_at__gte=since)
            pending = rows.exclude(status=DeliveryStatus.PROCESSED).count()
            done = rows.filter(status=DeliveryStatus.PROCESSED).count()
            if done and not pending:
                print(f"Webhooks received, verified and processed by the worker: {done}")
                self._ledger_summary()
                self._pay_makers()
                self._statements()
                return done
            time.sleep(0.5)
        raise RuntimeError("webhooks were not all processed in time; see .local/worker.log")

    def _ledger_summary(self) -> None:
        from shop_extensions.ledger.selectors import maker_balance
        from shop_extensions.makers.models import Maker

        print("Makers' earnings in the ledger (after the initiative's commission):")
        for maker in Maker.objects.select_related("initiative").order_by("internal_reference"):
            balance = maker_balance(maker=maker, currency=maker.initiative.currency)
            print(f"  {maker.display_name:<10} {maker.initiative.currency} {balance}")

    def _pay_makers(self) -> None:
        print("Paying the makers through Stripe (a payout run, sent now):")
        subprocess.run([str(BIN / "python"), "manage.py", "payout_run"], cwd=ROOT, env=self.env, check=True)

    def _statements(self) -> None:
        print("Income statements for this month so far (on demand; the monthly job does the closed month):")
        from django.utils import timezone

        month = f"{timezone.localdate():%Y-%m}"
        manage = [str(BIN / "python"), "manage.py", "statements_issue", "--month", month]
        if subprocess.run(manage, cwd=ROOT, env=self.env, check=False).returncode == 0:
            print(f"  check one at {self.web}/statements/verify/")
        else:  # e.g. the statement font is not installed: the rest of the demo still stands
            print("  statements could not be issued (the reason is above); the rest of the demo runs on")

    def summary(self) -> None:
        password = self.password_file.read_text().strip() if self.password_file.exists() else "(set earlier)"
        print(
            "\nRode Draad is running:\n"
            f"  coordinator workspace  {self.web}/coordinator/  (user: coordinator, password: {password};\n"
            f"                         in the Saleor Dashboard it is the app's page {self.web}/app/)\n"
            f"  participant portal     {self.web}/portal/  (log in as fatima@example.org: the code is\n"
            f"                         e-mailed by the worker, and the demo prints e-mail in {LOCAL}/worker.log)\n"
            f"  admin                  {self.web}/admin/  (user: coordinator, password: {password})\n"
            f"  manifest               {self.web}/api/manifest\n"
            f"  health                 {self.web}/healthz\n"
            f"  Saleor sandbox         {self.sandbox}/graphql/  (deliveries: {self.sandbox}/sandbox/deliveries)\n"
            f"  logs                   {LOCAL}/{{web,worker,beat,sandbox}}.log\n"
            "Press Ctrl-C to stop everything."
        )

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()  # the leader shuts its own children down (warm shutdown)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything the leader left behind
        print("Stopped web, worker, beat and the sandbox.")

    def run(self, *, once: bool) -> int:
        self.started_at = datetime.now(UTC)
        try:
            self.prepare()
            self.start()
            self.install_and_order()
            self.summary()
            if once:
                return 0
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while all(proc.poll() is None for proc in self.procs.values()):
                time.sleep(1)
            dead = [name for name, proc in self.procs.items() if proc.poll() is not None]
            print(f"{', '.join(dead)} stopped unexpectedly; see .local/*.log", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        except (RuntimeError, subprocess.CalledProcessError) as exc:
            print(f"demo failed: {exc}", file=sys.stderr)
            return 1
        finally:
            self.stop()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--once", action="store_true", help="stop after the orders were processed")
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("DEMO_WEB_PORT", 8000)))
    parser.add_argument("--sandbox-port", type=int, default=int(os.environ.get("DEMO_SANDBOX_PORT", 8001)))
    parser.add_argument("--orders", type=int, default=3)
    args = parser.parse_args()
    web_port = _free_port(args.web_port)
    sandbox_port = _free_port(args.sandbox_port if args.sandbox_port != web_port else 0)
    return Demo(web_port=web_port, sandbox_port=sandbox_port, orders=args.orders).run(once=args.once)


if __name__ == "__main__":
    raise SystemExit(main())
