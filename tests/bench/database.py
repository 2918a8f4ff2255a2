"""A fresh, empty database for one benchmark, on DATABASE_URL's server or on the embedded one."""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
_DB_IN_URL = re.compile(r"(postgres(?:ql)?://[^/]*)/[^/?]*")


def fresh_database(name: str) -> str:
    """Drop and create ``name``; return its URL. Reads the environment directly, not
    backend.settings.env.CONFIG: importing that now would freeze the environment before the caller sets
    DATABASE_URL for Django."""
    base = os.environ.get("DATABASE_URL")
    if not base:
        from backend.embedded_db import database_url as embedded

        pgdata = Path(os.environ.get("EMBEDDED_PG_DIR") or ROOT / ".local" / "pgdata")
        base = embedded(pgdata.with_name("pgdata-bench"), "postgres")
    with psycopg.connect(_DB_IN_URL.sub(r"\1/postgres", base, count=1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return _DB_IN_URL.sub(rf"\1/{name}", base, count=1)
