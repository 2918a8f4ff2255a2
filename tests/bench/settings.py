"""Production settings plus one bare view to compare the webhook intake against."""

from backend.settings.prod import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECURE_PROXY_SSL_HEADER = None
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"handlers": [], "level": "ERROR"}}
# Plain HTTP on loopback: the TLS proxy in front of production (and its redirect to https) is not measured.
SECURE_SSL_REDIRECT = False
