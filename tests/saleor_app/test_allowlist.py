import pytest

from shop_extensions.saleor_app.allowlist import is_allowed, normalise_api_url

PATTERNS = [
    "https://shop.example.org/graphql/",
    "https://*.saleor.cloud/graphql/",
    "http://127.0.0.1:*/graphql/",
]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://shop.example.org/graphql/", True),
        ("https://atelier-west.saleor.cloud/graphql/", True),
        ("http://127.0.0.1:8001/graphql/", True),
        ("https://evil.example/graphql/", False),
        ("https://shop.example.org.evil.example/graphql/", False),
        ("https://evil.example/x.saleor.cloud/graphql/", False),  # * never crosses a "/"
        ("http://127.0.0.1:8001/evil/graphql/", False),
        ("http://shop.example.org/graphql/", False),  # the scheme is part of the pattern
    ],
)
def test_allow_list_patterns(url, allowed):
    assert is_allowed(url, PATTERNS) is allowed


def test_normalise_adds_the_trailing_slash_and_lowercases_the_host():
    assert normalise_api_url("https://Shop.Example.org/graphql") == "https://shop.example.org/graphql/"


@pytest.mark.parametrize(
    "url",
    ["ftp://x/graphql/", "shop.example.org/graphql/", "https://u:p@x/graphql/", "https://x/graphql/?a=1"],
)
def test_normalise_refuses_what_is_not_a_saleor_api_url(url):
    with pytest.raises(ValueError, match="URL"):
        normalise_api_url(url)
