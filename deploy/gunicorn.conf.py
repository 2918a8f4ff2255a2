"""Gunicorn settings for the Rode Draad web service (read with ``gunicorn --config``)."""

import multiprocessing
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"

# WEB_CONCURRENCY wins; otherwise 2 x cores + 1, capped so a large host does not start dozens of
# processes that each hold database connections (CONN_MAX_AGE is 60 s).
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * multiprocessing.cpu_count() + 1, 8))
worker_class = "sync"

# Saleor waits 2 s to connect and 18 s to read a webhook response; the intake stores and answers
# in milliseconds, so 30 s only bounds pathological requests.
timeout = 30
graceful_timeout = 30
keepalive = 5

# Recycle workers now and then (guards against slow leaks); jitter avoids all restarting at once.
max_requests = 1000
max_requests_jitter = 100

# Heartbeat files on tmpfs, not on the container's overlay filesystem.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (gunicorn heartbeat files, not data)

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
