"""SALEOR_ALLOWED_API_URLS: exact URLs or patterns where ``*`` stands for any run of characters except ``/``."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit


@lru_cache(maxsize=64)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join("[^/]*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
    )


def normalise_api_url(api_url: str) -> str:
    parts = urlsplit(api_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {api_url!r}")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValueError(f"a Saleor API URL has no credentials, query or fragment: {api_url!r}")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc.lower()}{path}"


def is_allowed(api_url: str, patterns: list[str]) -> bool:
    return any(_compile(pattern).fullmatch(api_url) for pattern in patterns)
