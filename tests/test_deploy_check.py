"""Production settings pass Django's deployment checklist (``manage.py check --deploy``) with nothing to say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("dashboard", "samesite"),
    [("", "Lax"), ("https://dashboard.saleor.example", "None")],
    ids=["standalone", "embedded-in-a-cross-site-dashboard"],
)
def test_check_deploy_is_clean_with_production_settings(dashboard, samesite):
    env = {
        # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE (tests/e2e) is for tests only; a deployment never has it.
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "backend.settings.prod",
        # Throwaway values of the right shape: the check reads settings, it connects to nothing.
        "DJANGO_SECRET_KEY": "k" + Fernet.generate_key().decode() * 2,
        "DATABASE_URL": "postgresql://rode:draad@db.invalid:5432/rode_draad",
        "REDIS_URL": "redis://redis.invalid:6379/0",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "SALEOR_ALLOWED_API_URLS": "https://*.saleor.cloud/graphql/",
        "DJANGO_ALLOWED_HOSTS": "rodedraad.example.org",
        "PUBLIC_BASE_URL": "https://rodedraad.example.org",
        "SALEOR_DASHBOARD_ORIGINS": dashboard,
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    cookies = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c",
         "from django.conf import settings as s; print(s.SESSION_COOKIE_SAMESITE, s.CSRF_COOKIE_SAMESITE)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert cookies.stdout.split() == [samesite, samesite], cookies.stderr
