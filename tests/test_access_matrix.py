"""Authorization as data: every URL pattern by every role → allowed or denied.

The test walks all URL patterns of ``backend.urls``: a view without an ``@access`` audience fails, and a
named URL without a row in ``MATRIX`` fails, so a new page cannot ship without a rule. Object URLs take
their sample ids from objects that belong to maker A and initiative X: maker B (initiative Y) and the
coordinator of Y must be refused (403/404), never shown the data. The admin namespace counts as STAFF.

To add a page: add a row ``"namespace:name": Row(Audience.X, ...)``. ``kwargs`` builds the URL's arguments
from the fixture world (``w``), ``owner`` says whose object it is ("a" for maker A, "x" for initiative X),
``method``/``data`` the request to send, and ``expect`` overrides the outcome for roles that differ from
what the audience implies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from shop_extensions.core.access import Audience, audience_of
from shop_extensions.ledger.models import Allocation, LineStatus, SaleLine, SaleOrder
from tests.makers.factories import make_coordinator, make_initiative, make_lot, make_maker

ROLES = ["anonymous", "maker_a", "maker_b", "coordinator_x", "coordinator_y", "staff"]
ALLOW, DENY, LOGIN, SKIP = "allow", "deny", "login", "skip"
DONE = "done"  # any answer below 400, a redirect to a login page included (logging out ends there)
REFUSED = "refused"  # any 4xx: the request itself carries (or lacks) the credential


@dataclass(frozen=True)
class Row:
    audience: Audience
    kwargs: Callable[[World], dict[str, Any]] | None = None
    owner: str = ""  # "a": maker A's object; "x": an object of initiative X
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)  # role → ALLOW / DENY / LOGIN / SKIP


class World:
    """Maker A in initiative X, maker B in initiative Y, a coordinator of each, a staff user. Objects for
    object URLs are made on first use, all belonging to maker A / initiative X."""

    def __init__(self, make_installation: Callable[..., Any]) -> None:
        self._make_installation = make_installation
        self.x = make_initiative("Atelier West")
        self.y = make_initiative("Moestuin Noord")
        self.coordinator_x, _ = make_coordinator(self.x, "coord-x")
        self.coordinator_y, _ = make_coordinator(self.y, "coord-y")
        self.maker_a = make_maker(self.x, "Fatima", email="fatima@example.test")
        self.maker_b = make_maker(self.y, "Bram", email="bram@example.test")
        user_model = get_user_model()
        for maker in (self.maker_a, self.maker_b):
            maker.user = user_model.objects.create_user(username=f"maker-{maker.pk}", email=maker.email)
            maker.save(update_fields=["user"])
        self.staff = user_model.objects.create_user(
            username="staff", password="x", is_staff=True, is_superuser=True
        )
        self._cache: dict[str, Any] = {}

    def user(self, role: str) -> Any:
        return {
            "maker_a": self.maker_a.user,
            "maker_b": self.maker_b.user,
            "coordinator_x": self.coordinator_x,
            "coordinator_y": self.coordinator_y,
            "staff": self.staff,
        }[role]

    def _once(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    def lot_x(self) -> Any:
        return self._once("lot", lambda: make_lot(self.x, self.maker_a, 5))

    def unattributed_x(self) -> Allocation:
        def make() -> Allocation:
            installation = self._make_installation(
                api_url="https://x.saleor.test/graphql/", jwks={"keys": []}
            )
            order = SaleOrder.objects.create(
                installation=installation, saleor_order_id="T3JkZXI6MQ==", initiative=self.x, currency="EUR"
            )
            line = SaleLine.objects.create(
                order=order,
                saleor_line_id="T3JkZXJMaW5lOjE=",
                quantity=1,
                gross_amount=Decimal("12.10"),
                base_amount=Decimal("10.00"),
                commission_percent=Decimal("20.00"),
                commission_amount=Decimal("2.00"),
                currency="EUR",
                status=LineStatus.UNATTRIBUTED,
            )
            return Allocation.objects.create(line=line, quantity=Decimal(1), amount=Decimal("8.00"))

        return self._once("allocation", make)

    def statement_a(self) -> Any:
        def make() -> Any:
            from shop_extensions.statements.services import statement_issue
            from tests.portal.conftest import add_entry

            last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
            add_entry(
                self.maker_a,
                "10.00",
                at=timezone.make_aware(timezone.datetime(*last_month.timetuple()[:3], 12)),
            )
            statement, _ = statement_issue(maker_id=self.maker_a.pk, month=last_month, actor="system:test")
            return statement

        return self._once("statement", make)

    def share_a(self) -> Any:
        from shop_extensions.statements.models import StatementShare

        return self._once(
            "share",
            lambda: StatementShare.objects.create(
                statement=self.statement_a(),
                token_sha256="0" * 64,
                expires_at=timezone.now() + timedelta(days=3),
            ),
        )


def _maker_id_a(w: World) -> dict[str, Any]:
    return {"maker_id": w.maker_a.pk}


MATRIX: dict[str, Row] = {
    # --- machines and public pages -------------------------------------------------------------
    "health": Row(Audience.PUBLIC, expect=dict.fromkeys(ROLES, SKIP)),  # depends on the broker, not the role
    "set_language": Row(Audience.PUBLIC, method="post", data={"language": "en", "next": "/portal/"}),
    "saleor-manifest": Row(Audience.PUBLIC),
    "saleor-logo": Row(Audience.PUBLIC),
    "coordinator-home": Row(Audience.PUBLIC),  # the Dashboard's entry page; the workspace checks the token
    "saleor-register": Row(Audience.SIGNED, method="post"),
    "saleor-webhook": Row(Audience.SIGNED, kwargs=lambda w: {"slug": "order-fully-paid"}, method="post"),
    "payouts:stripe_webhook": Row(Audience.SIGNED, method="post"),
    "payouts:stripe_connect_webhook": Row(Audience.SIGNED, method="post"),
    # --- participant portal ----------------------------------------------------------------------
    "portal:login": Row(Audience.PUBLIC),
    "portal:login_code": Row(Audience.PUBLIC, expect=dict.fromkeys(ROLES, DONE)),  # no code asked: to login
    "portal:logout": Row(Audience.MAKER, method="post", expect={"maker_a": DONE, "maker_b": DONE}),
    "portal:home": Row(Audience.MAKER),
    "portal:sales": Row(Audience.MAKER),
    "portal:payouts": Row(Audience.MAKER),
    "portal:statements": Row(Audience.MAKER),
    "portal:statement_share": Row(
        Audience.MAKER,
        kwargs=lambda w: {"statement_id": w.statement_a().pk},
        owner="a",
        method="post",
        data={"days": "7"},
    ),
    "portal:statement_share_revoke": Row(
        Audience.MAKER, kwargs=lambda w: {"share_id": w.share_a().pk}, owner="a", method="post"
    ),
    "portal:my_data": Row(Audience.MAKER),
    "portal:my_data_export": Row(Audience.MAKER),
    "portal:my_data_delete": Row(Audience.MAKER, method="post"),
    # --- statements (maker A's statement) ----------------------------------------------------------
    "statements:verify": Row(Audience.PUBLIC),
    "statements:verify_code": Row(
        Audience.PUBLIC, kwargs=lambda w: {"code": "NOPE-NOPE"}, expect=dict.fromkeys(ROLES, SKIP)
    ),
    "statements:shared": Row(
        Audience.PUBLIC, kwargs=lambda w: {"token": "unknown"}, expect=dict.fromkeys(ROLES, DENY)
    ),
    "statements:data_json": Row(
        Audience.MAKER, kwargs=lambda w: {"statement_id": w.statement_a().pk}, owner="a"
    ),
    "statements:download": Row(
        Audience.MAKER, kwargs=lambda w: {"statement_id": w.statement_a().pk, "kind": "csv"}, owner="a"
    ),
    # --- payouts onboarding --------------------------------------------------------------------------
    "payouts:maker_onboarding": Row(Audience.MAKER, expect={"maker_a": SKIP, "maker_b": SKIP}),
    "payouts:maker_onboarding_return": Row(Audience.MAKER, expect={"maker_a": SKIP, "maker_b": SKIP}),
    "payouts:coordinator_onboarding": Row(
        Audience.COORDINATOR, kwargs=_maker_id_a, owner="x", expect={"coordinator_x": SKIP}
    ),
    "payouts:coordinator_onboarding_return": Row(
        Audience.COORDINATOR, kwargs=_maker_id_a, owner="x", expect={"coordinator_x": SKIP}
    ),
    # --- coordinator workspace (objects of initiative X) ---------------------------------------------
    "coordinator:home": Row(Audience.COORDINATOR),
    "coordinator:login": Row(Audience.PUBLIC),
    "coordinator:logout": Row(Audience.PUBLIC, method="post", expect=dict.fromkeys(ROLES, DONE)),
    "coordinator:initiative-switch": Row(Audience.COORDINATOR, method="post"),
    "coordinator:dashboard-session": Row(
        Audience.PUBLIC, method="post", expect=dict.fromkeys(ROLES, REFUSED)
    ),
    "coordinator:makers": Row(Audience.COORDINATOR),
    "coordinator:maker-create": Row(Audience.COORDINATOR),
    "coordinator:maker": Row(Audience.COORDINATOR, kwargs=_maker_id_a, owner="x"),
    "coordinator:maker-edit": Row(Audience.COORDINATOR, kwargs=_maker_id_a, owner="x"),
    "coordinator:maker-situation": Row(Audience.COORDINATOR, kwargs=_maker_id_a, owner="x"),
    "coordinator:products": Row(Audience.COORDINATOR),
    # Needs ?product= of the initiative's Saleor catalogue (no Saleor here): only refusals are checked.
    "coordinator:product-rule": Row(
        Audience.COORDINATOR, expect={"coordinator_x": SKIP, "coordinator_y": SKIP}
    ),
    "coordinator:lots": Row(Audience.COORDINATOR),
    "coordinator:lot-create": Row(Audience.COORDINATOR),
    "coordinator:lot-correct": Row(
        Audience.COORDINATOR, kwargs=lambda w: {"lot_id": w.lot_x().pk}, owner="x"
    ),
    "coordinator:lot-resolve": Row(
        Audience.COORDINATOR, kwargs=lambda w: {"lot_id": w.lot_x().pk}, owner="x"
    ),
    "coordinator:unattributed": Row(Audience.COORDINATOR),
    "coordinator:unattributed-resolve": Row(
        Audience.COORDINATOR, kwargs=lambda w: {"allocation_id": w.unattributed_x().pk}, owner="x"
    ),
    "coordinator:positions": Row(Audience.COORDINATOR),
    "coordinator:audit": Row(Audience.COORDINATOR),
    "coordinator:payouts": Row(Audience.COORDINATOR),
    "coordinator:statements": Row(Audience.COORDINATOR),
    # Actions with side effects: refusals checked here, what coordinator X may do in tests/coordinator.
    "coordinator:payout-run-start": Row(
        Audience.COORDINATOR, method="post", expect={"coordinator_x": SKIP, "coordinator_y": SKIP}
    ),
    "coordinator:payout-run-approve": Row(
        Audience.COORDINATOR,
        kwargs=lambda w: {"run_id": 999_999},
        method="post",
        expect={"coordinator_x": SKIP, "coordinator_y": SKIP},
    ),
    "coordinator:payout-action": Row(
        Audience.COORDINATOR,
        kwargs=lambda w: {"payout_id": 999_999, "action": "retry"},
        method="post",
        expect={"coordinator_x": SKIP, "coordinator_y": SKIP},
    ),
    "coordinator:statement-generate": Row(
        Audience.COORDINATOR, method="post", expect={"coordinator_x": SKIP, "coordinator_y": SKIP}
    ),
    "coordinator:statement-zip": Row(
        Audience.COORDINATOR, expect={"coordinator_x": SKIP, "coordinator_y": SKIP}
    ),
    "coordinator:statement-regenerate": Row(
        Audience.COORDINATOR, kwargs=_maker_id_a, owner="x", expect={"coordinator_x": SKIP}
    ),
    # --- Django admin: every admin URL counts as STAFF; these are requested ------------------------
    "admin:index": Row(Audience.STAFF),
    "admin:makers_maker_changelist": Row(Audience.STAFF),
}


def _walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full_ns = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), full_ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield name, prefix + str(entry.pattern), entry.callback


def _all_urls() -> list[tuple[str, str, Any]]:
    return list(_walk(get_resolver().url_patterns))


def _is_admin(name: str, route: str) -> bool:
    return name.startswith("admin:") or route.startswith("admin/")


def test_every_view_declares_an_audience_and_every_url_has_a_row():
    missing_audience, missing_row, mismatched = [], [], []
    for name, route, callback in _all_urls():
        if _is_admin(name, route):
            continue  # the admin namespace counts as STAFF (AdminSite checks is_staff itself)
        declared = audience_of(callback)
        if declared is None:
            missing_audience.append(f"{route} ({name or 'unnamed'})")
            continue
        if not name or name not in MATRIX:
            missing_row.append(f"{route} ({name or 'unnamed'})")
        elif MATRIX[name].audience != declared:
            mismatched.append(f"{name}: view says {declared}, matrix says {MATRIX[name].audience}")

    assert missing_audience == [], "views without @access(Audience.X)"
    assert missing_row == [], "URLs without a row in tests/test_access_matrix.py MATRIX"
    assert mismatched == []


def test_the_matrix_has_no_rows_for_urls_that_are_gone():
    names = {name for name, _route, _callback in _all_urls()}

    assert sorted(set(MATRIX) - names) == []


def expected(row: Row, role: str) -> str:
    if role in row.expect:
        return row.expect[role]
    if row.audience == Audience.PUBLIC:
        return ALLOW
    if row.audience == Audience.SIGNED:
        return SKIP  # proven by the request's signature; see signed_without_signature below
    if role == "anonymous":
        return LOGIN
    if row.audience == Audience.MAKER:
        if role == "maker_a" or (role == "maker_b" and row.owner != "a"):
            return ALLOW
        return DENY
    if row.audience == Audience.COORDINATOR:
        if role == "coordinator_x" or (role == "coordinator_y" and row.owner != "x"):
            return ALLOW
        return DENY
    return ALLOW if role == "staff" else DENY


def _login_urls() -> set[str]:
    urls = {resolve_url(settings.LOGIN_URL)}
    for setting in ("PORTAL_LOGIN_URL", "COORDINATOR_LOGIN_URL"):
        try:
            urls.add(resolve_url(getattr(settings, setting)))
        except Exception:  # noqa: S112 - an area without its login page yet
            continue
    return urls


def _to_login(response: Any) -> bool:
    location = response.get("Location", "") if response.status_code in (301, 302) else ""
    return any(location.split("?")[0] == url for url in _login_urls())


@pytest.fixture
def world(db, make_installation, settings, tmp_path) -> World:
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "statements")},
        },
    }
    return World(make_installation)


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_the_matrix(world: World, name: str, role: str):
    row = MATRIX[name]
    outcome = expected(row, role)
    if outcome == SKIP:
        pytest.skip("outcome depends on more than the role (see the row)")
    client = Client()
    if role != "anonymous":
        client.force_login(world.user(role))
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)

    response = getattr(client, row.method)(url, row.data)

    status = response.status_code
    if outcome == DONE:
        assert status < 400, (url, role, status)
    elif outcome == REFUSED:
        assert 400 <= status < 500, (url, role, status)
    elif outcome == ALLOW:
        assert status < 400, (url, role, status)
        assert not _to_login(response), (url, role, response.get("Location"))
    elif outcome == LOGIN:
        assert _to_login(response), (url, role, status, response.get("Location"))
    else:
        assert status in (403, 404) or _to_login(response), (url, role, status, response.get("Location"))
        if row.owner and status < 300:
            raise AssertionError(f"{url} showed {role} an object of another owner")


@pytest.mark.parametrize("name", [n for n, r in MATRIX.items() if r.audience == Audience.SIGNED])
def test_signed_endpoints_refuse_a_request_without_a_signature(world: World, name: str):
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)

    response = Client().post(url, b"{}", content_type="application/json")

    assert 400 <= response.status_code < 500, (url, response.status_code)
