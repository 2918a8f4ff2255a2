"""What the web benchmarks share: a free port, the production app under gunicorn on its own fresh
database, logged-in sessions, and raw GET requests for the load generator."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.bench.database import fresh_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_request(path: str, cookie: str, port: int, language: str = "nl") -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
        # The production settings trust the proxy's header (SECURE_PROXY_SSL_HEADER): as behind TLS.
        f"X-Forwarded-Proto: https\r\nAccept-Language: {language}\r\nCookie: sessionid={cookie}\r\n\r\n"
    ).encode()


def production_django(db_name: str) -> dict[str, str]:
    """Production settings on a fresh, migrated database, set up in this process (for seeding) and
    returned as the environment for the server. Call before anything imports Django settings."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.settings.prod",
        "DJANGO_SECRET_KEY": "bench-only-" + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": fresh_database(db_name),
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14",
        "SALEOR_ALLOWED_API_URLS": "https://bench.invalid/graphql/",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "ERROR",
    }
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int) -> Iterator[None]:
    """The app under gunicorn's sync workers, as deploy/ runs it, stopped on leaving."""
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "backend.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync", "--log-level", "error"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        yield
    finally:
        server.terminate()
        server.wait(timeout=20)


def logged_in_session(user: Any, expiry: int | None = None) -> str:
    """A database session for ``user`` as Django's login would leave it; returns its key (the cookie)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if expiry is not None:
        session.set_expiry(expiry)
    session.create()
    return str(session.session_key)
