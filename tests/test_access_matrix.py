"""Authorization as data: every URL pattern by every role → allowed or denied.

The test walks all URL patterns of ``backend.urls``: a view without an ``@access`` audience fails, and a
named URL without a row in ``MATRIX`` fails, so a new page cannot ship without a rule. Object URLs take
their sample ids from objects that belong to maker A and initiative X: maker B (initiative Y) and the
coordinator of Y must be refused (403/404), never shown the data. The admin namespace counts as STAFF.
SIGNED endpoints refuse (4xx) a request without a valid signature whatever the session; that they accept
a signed one is tested with each endpoint.

The world is real where a page needs it: Stripe is the stand-in over HTTP (the real stripe-python client,
a test key), the Saleor catalogue two sandboxes (X's sells a product Y's does not), the Celery broker the
test settings' in-memory one (so ``health`` answers 200). Workers' follow-ups (on-commit tasks: sending a
run, making a month's statements) do not run here; the services' own tests cover them. No case is
skipped, except ``coordinator:product-rule`` where ../shared (the Saleor schema the sandbox serves) is
absent, as in the other Saleor tests.

To add a page: add a row ``"namespace:name": Row(Audience.X, ...)``. ``kwargs`` builds the URL's arguments
from the fixture world (``w``), ``owner`` says whose object it is ("a" for maker A, "x" for initiative X),
``method``/``data`` the request to send (``data`` may be built from the world), and ``expect`` overrides
the outcome for roles that differ from what the audience implies. ``effect`` reads what the request may
change for maker A / initiative X (making the objects it reads): it must change when maker A or the
coordinator of X is allowed, and stay as it was for every other role. ``check`` adds assertions on an
allowed answer.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from shop_extensions.core.access import Audience, audience_of
from shop_extensions.core.models import AuditEvent
from shop_extensions.ledger.models import Allocation, LineStatus, SaleLine, SaleOrder
from shop_extensions.payouts.standin.server import Standin
from tests.makers.factories import make_coordinator, make_initiative, make_lot, make_maker

ROLES = ["anonymous", "maker_a", "maker_b", "coordinator_x", "coordinator_y", "staff"]
ALLOW, DENY, LOGIN = "allow", "deny", "login"
DONE = "done"  # any answer below 400, a redirect to a login page included (logging out ends there)
REFUSED = "refused"  # any 4xx: the request itself carries (or lacks) the credential
OWNERS = ("maker_a", "coordinator_x")  # the roles whose allowed request may change A's / X's objects
STRIPE_TEST_KEY = "sk_test_standin_access_matrix"  # the stand-in's key, never a real one


@dataclass(frozen=True)
class Row:
    audience: Audience
    kwargs: Callable[[World], dict[str, Any]] | None = None
    owner: str = ""  # "a": maker A's object; "x": an object of initiative X
    method: str = "get"
    data: dict[str, Any] | Callable[[World], dict[str, Any]] = field(default_factory=dict)
    expect: dict[str, str] = field(default_factory=dict)  # role → ALLOW / DENY / LOGIN / DONE / REFUSED
    effect: Callable[[World], Any] | None = None  # changes for OWNERS when allowed, else stays the same
    check: Callable[[World, str, Any], None] | None = None  # more assertions on an allowed answer


class World:
    """Maker A in initiative X, maker B in initiative Y, a coordinator of each, a staff user. Objects for
    object URLs are made on first use, all belonging to maker A / initiative X: A's sale, statement and
    share, A's Stripe account (at the stand-in) and payable balance, a payout run of X with A's draft
    payout, each initiative's Saleor."""

    def __init__(
        self,
        make_installation: Callable[..., Any],
        standin: Standin,
        stack: ExitStack,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        self._make_installation = make_installation
        self.standin = standin
        self._stack = stack
        self._monkeypatch = monkeypatch
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
        self.last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
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

    def activity_a(self) -> date:
        """A sale of maker A last month (the month statements are made for), posted as the ledger posts
        it (month totals move); returns that month."""

        def make() -> date:
            from shop_extensions.ledger.models import EarningEntry, EntryKind
            from shop_extensions.ledger.services import entries_post

            at = timezone.make_aware(datetime.combine(self.last_month, time(12)))
            with transaction.atomic():
                entries_post(
                    entries=[
                        EarningEntry(
                            maker=self.maker_a,
                            initiative=self.x,
                            kind=EntryKind.SALE,
                            amount=Decimal("10.00"),
                            currency="EUR",
                            quantity=Decimal(1),
                            effective_at=at,
                            period=self.last_month,
                            idempotency_key=f"access-matrix:{self.maker_a.pk}",
                        )
                    ]
                )
            return self.last_month

        return self._once("activity", make)

    def statement_a(self) -> Any:
        def make() -> Any:
            from shop_extensions.statements.services import statement_issue

            statement, _ = statement_issue(
                maker_id=self.maker_a.pk, month=self.activity_a(), actor="system:test"
            )
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

    def account_a(self) -> Any:
        """Maker A's connected account, onboarded at the Stripe stand-in (as tests/payouts' ready_account);
        never synced yet (``stripe_updated_at`` 0)."""

        def make() -> Any:
            from shop_extensions.payouts.models import AccountStatus, ConnectedAccount

            with self.standin.state.lock:
                account = self.standin.state.account_create(
                    {"country": "NL", "metadata": {"maker_id": str(self.maker_a.pk)}}
                )
                account.update(
                    capabilities={"transfers": "active"}, payouts_enabled=True, details_submitted=True
                )
            return ConnectedAccount.objects.create(
                maker=self.maker_a,
                stripe_account_id=account["id"],
                status=AccountStatus.READY,
                transfers_active=True,
                payouts_enabled=True,
                details_submitted=True,
            )

        return self._once("account", make)

    def payable_a(self) -> Decimal:
        """Maker A can be paid: a ready account and 25.00 earned a month ago (past the refund hold)."""

        def make() -> Decimal:
            from tests.payouts.conftest import earn

            self.account_a()
            return earn(self.maker_a, "25.00", days_ago=30).amount

        return self._once("payable", make)

    def run_x(self) -> Any:
        """A payout run of initiative X made by the monthly job, holding maker A's draft payout."""

        def make() -> Any:
            from shop_extensions.payouts.services import payout_run_create

            self.payable_a()
            run = payout_run_create(initiative_id=self.x.pk, actor="system:test")
            assert run.payouts.filter(maker=self.maker_a).count() == 1
            return run

        return self._once("run", make)

    def payout_x(self) -> Any:
        return self.run_x().payouts.get(maker=self.maker_a)

    def product_x(self) -> str:
        """Each initiative's own Saleor (a sandbox over HTTP, as tests/coordinator/test_catalogue.py); X's
        sells one product more than Y's. Returns that product's id."""

        def make() -> str:
            from shop_extensions.makers.models import Initiative, SalesChannel
            from shop_extensions.saleor_app.sandbox.server import running_sandbox
            from shop_extensions.saleor_app.sandbox.service import Sandbox
            from shop_extensions.saleor_app.sandbox.state import App, Product
            from tests.shared import schema_path

            self._monkeypatch.setenv("SALEOR_SCHEMA_PATH", str(schema_path()))
            self._stack.callback(cache.clear)  # the catalogue is cached for a minute per initiative
            product_id = ""
            for initiative in (self.x, self.y):
                box = Sandbox(retry_delays=(0,))
                self._stack.enter_context(running_sandbox(box))
                store = box.store
                app = App(
                    pk=store.next_pk("app"),
                    identifier="rode-draad.test",
                    name="Rode Draad",
                    version="1",
                    token=f"app-token-{initiative.pk}",
                    permissions=["MANAGE_PRODUCTS", "MANAGE_ORDERS"],
                    webhooks=[],
                    manifest={},
                )
                store.apps[app.pk] = app
                installation = self._make_installation(api_url=box.api_url, jwks={}, token=app.token)
                Initiative.objects.filter(pk=initiative.pk).update(
                    installation=installation, warehouse_id=store.warehouse.id
                )
                SalesChannel.objects.create(
                    installation=installation, initiative=initiative, channel_slug=store.channel.slug
                )
                if initiative == self.x:
                    with store.lock:
                        product = Product(pk=store.next_pk("product"), name="Sjaal")
                        store.products[product.pk] = product
                    product_id = product.id
            return product_id

        return self._once("product", make)


# --- what a request may change for maker A / initiative X (each reads the objects it makes) --------------


def _onboarding_links_a(w: World) -> tuple[bool, int]:
    from shop_extensions.payouts.models import ConnectedAccount

    links = AuditEvent.objects.filter(
        action="stripe_account.onboarding_link", subject_type="maker", subject_id=str(w.maker_a.pk)
    )
    return ConnectedAccount.objects.filter(maker=w.maker_a).exists(), links.count()


def _account_synced_a(w: World) -> int:
    from shop_extensions.payouts.models import ConnectedAccount

    return ConnectedAccount.objects.get(pk=w.account_a().pk).stripe_updated_at


def _payouts_x(w: World) -> list[tuple[Any, ...]]:
    from shop_extensions.payouts.models import Payout

    w.payable_a()
    return list(
        Payout.objects.filter(initiative=w.x)
        .order_by("pk")
        .values_list("run_id", "maker_id", "amount", "state")
    )


def _run_x(w: World) -> list[str]:
    return list(w.run_x().payouts.order_by("pk").values_list("state", flat=True))


def _payout_x(w: World) -> str:
    from shop_extensions.payouts.models import Payout

    return Payout.objects.get(pk=w.payout_x().pk).state


def _statement_runs_x(w: World) -> list[tuple[Any, ...]]:
    from shop_extensions.statements.models import StatementRunItem

    w.activity_a()
    return list(
        StatementRunItem.objects.filter(run__initiative=w.x)
        .order_by("pk")
        .values_list("run__month", "run__trigger", "maker_id")
    )


def _zips_x(w: World) -> int:
    w.statement_a()
    return AuditEvent.objects.filter(
        action="statements.zip_downloaded", subject_type="initiative", subject_id=str(w.x.pk)
    ).count()


def _statements_a(w: World) -> list[tuple[Any, ...]]:
    from shop_extensions.statements.models import Statement

    w.statement_a()
    return list(
        Statement.objects.filter(maker=w.maker_a, month=w.last_month)
        .order_by("version")
        .values_list("version", "reason")
    )


def _rules_of_product_x(w: World) -> list[tuple[Any, ...]]:
    from shop_extensions.catalog.models import AttributionShare

    return list(
        AttributionShare.objects.filter(rule__saleor_product_id=w.product_x())
        .order_by("pk")
        .values_list("rule__initiative_id", "maker_id", "percent")
    )


# --- more assertions on an allowed answer -------------------------------------------------------------


def _healthy(w: World, role: str, response: Any) -> None:
    assert response.json()["ok"] is True, response.json()


def _verified(w: World, role: str, response: Any) -> None:
    result = response.context["result"]
    assert result.found, role
    assert result.version == w.statement_a().version


def _to_stripe_onboarding(w: World, role: str, response: Any) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(f"{w.standin.url}/_standin/onboarding/"), response["Location"]


def _back_to(setting: str) -> Callable[[World, str, Any], None]:
    def check(w: World, role: str, response: Any) -> None:
        assert (response.status_code, response["Location"]) == (302, getattr(settings, setting))

    return check


def _zip_holds_a_only_for_x(w: World, role: str, response: Any) -> None:
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    folder_a = f"{w.maker_a.internal_reference}/"
    if role == "coordinator_x":
        assert any(name.startswith(folder_a) for name in names), names
    else:
        assert not any(name.startswith(folder_a) for name in names), (role, names)


def _maker_id_a(w: World) -> dict[str, Any]:
    return {"maker_id": w.maker_a.pk}


def _month_of_a(w: World) -> dict[str, Any]:
    return {"month": f"{w.activity_a():%Y-%m}"}


def _shares_of_product_x(w: World) -> dict[str, Any]:
    return {
        "saleor_product_id": w.product_x(),
        "saleor_variant_id": "",
        "commission_percent": "15",
        "shares-TOTAL_FORMS": "1",
        "shares-INITIAL_FORMS": "0",
        "shares-MIN_NUM_FORMS": "1",
        "shares-MAX_NUM_FORMS": "10",
        "shares-0-maker": w.maker_a.pk,
        "shares-0-percent": "100",
    }


MATRIX: dict[str, Row] = {
    # --- machines and public pages -------------------------------------------------------------
    # 200 in the test settings (database up, in-memory broker); 503 when a check fails, for every role
    "health": Row(Audience.PUBLIC, check=_healthy),
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
    # The real code of A's statement: anyone may verify it (an unknown code: test below).
    "statements:verify_code": Row(
        Audience.PUBLIC, kwargs=lambda w: {"code": w.statement_a().code}, check=_verified
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
    # --- payouts onboarding (the Stripe stand-in) ------------------------------------------------------
    # Each maker gets a link for their own account: maker B's visit leaves A's untouched.
    "payouts:maker_onboarding": Row(Audience.MAKER, effect=_onboarding_links_a, check=_to_stripe_onboarding),
    "payouts:maker_onboarding_return": Row(
        Audience.MAKER, effect=_account_synced_a, check=_back_to("PAYOUTS_MAKER_RETURN_URL")
    ),
    "payouts:coordinator_onboarding": Row(
        Audience.COORDINATOR,
        kwargs=_maker_id_a,
        owner="x",
        effect=_onboarding_links_a,
        check=_to_stripe_onboarding,
    ),
    "payouts:coordinator_onboarding_return": Row(
        Audience.COORDINATOR,
        kwargs=_maker_id_a,
        owner="x",
        effect=_account_synced_a,
        check=_back_to("PAYOUTS_COORDINATOR_RETURN_URL"),
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
    # A product only X's Saleor sells: Y's catalogue does not have it (404), so Y cannot set its shares.
    "coordinator:product-rule": Row(
        Audience.COORDINATOR,
        owner="x",
        method="post",
        data=_shares_of_product_x,
        effect=_rules_of_product_x,
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
    # Actions with side effects. Start, generate and zip act on the coordinator's own initiative: Y's
    # coordinator is allowed for Y, and X's payouts, runs, statements and files stay out of reach.
    "coordinator:payout-run-start": Row(Audience.COORDINATOR, method="post", effect=_payouts_x),
    "coordinator:payout-run-approve": Row(
        Audience.COORDINATOR,
        kwargs=lambda w: {"run_id": w.run_x().pk},
        owner="x",
        method="post",
        effect=_run_x,
    ),
    "coordinator:payout-action": Row(
        Audience.COORDINATOR,
        kwargs=lambda w: {"payout_id": w.payout_x().pk, "action": "cancel"},
        owner="x",
        method="post",
        effect=_payout_x,
    ),
    "coordinator:statement-generate": Row(
        Audience.COORDINATOR, method="post", data=_month_of_a, effect=_statement_runs_x
    ),
    "coordinator:statement-zip": Row(Audience.COORDINATOR, effect=_zips_x, check=_zip_holds_a_only_for_x),
    "coordinator:statement-regenerate": Row(
        Audience.COORDINATOR,
        kwargs=_maker_id_a,
        owner="x",
        method="post",
        data=lambda w: {**_month_of_a(w), "reason": "the address was wrong"},
        effect=_statements_a,
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


def test_every_view_declares_an_audience_and_every_url_has_a_row() -> None:
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


def test_the_matrix_has_no_rows_for_urls_that_are_gone() -> None:
    names = {name for name, _route, _callback in _all_urls()}

    assert sorted(set(MATRIX) - names) == []


def expected(row: Row, role: str) -> str:
    if role in row.expect:
        return row.expect[role]
    if row.audience == Audience.PUBLIC:
        return ALLOW
    if row.audience == Audience.SIGNED:
        return REFUSED  # no session opens it: the request carries no signature (see the test below)
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


@pytest.fixture(scope="module")
def stripe_standin() -> Iterator[Standin]:
    """The Stripe stand-in the payouts tests use (tests/payouts/conftest.py), one per module."""
    with Standin(rate=10_000, seed=7) as server:
        yield server


@pytest.fixture
def world(
    db: None,
    make_installation: Callable[..., Any],
    settings: Any,
    tmp_path: Path,
    stripe_standin: Standin,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    settings.STORAGES = {
        **settings.STORAGES,
        "statements": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "statements")},
        },
    }
    settings.STRIPE_SECRET_KEY = STRIPE_TEST_KEY
    settings.STRIPE_API_BASE = stripe_standin.url
    settings.STRIPE_TIMEOUT_SECONDS = 1.0
    with ExitStack() as stack:  # sandboxes started on demand stop with the test
        yield World(make_installation, stripe_standin, stack, monkeypatch)


CASES = [(name, role) for name in MATRIX for role in ROLES]


@pytest.mark.parametrize(("name", "role"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_the_matrix(world: World, name: str, role: str) -> None:
    row = MATRIX[name]
    outcome = expected(row, role)
    client = Client()
    if role != "anonymous":
        client.force_login(world.user(role))
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)
    data = row.data(world) if callable(row.data) else row.data
    before = row.effect(world) if row.effect else None

    response = getattr(client, row.method)(url, data)

    status = response.status_code
    if outcome == DONE:
        assert status < 400, (url, role, status)
    elif outcome == REFUSED:
        assert 400 <= status < 500, (url, role, status)
    elif outcome == ALLOW:
        assert status < 400, (url, role, status)
        assert not _to_login(response), (url, role, response.get("Location"))
        if row.check:
            row.check(world, role, response)
    elif outcome == LOGIN:
        assert _to_login(response), (url, role, status, response.get("Location"))
    else:
        assert status in (403, 404) or _to_login(response), (url, role, status, response.get("Location"))
        if row.owner and status < 300:
            raise AssertionError(f"{url} showed {role} an object of another owner")
    if row.effect:
        after = row.effect(world)
        if outcome == ALLOW and role in OWNERS:
            assert after != before, (url, role, "allowed, but nothing happened", after)
        else:
            assert after == before, (url, role, status, "changed maker A's / initiative X's objects")


@pytest.mark.parametrize("name", [n for n, r in MATRIX.items() if r.audience == Audience.SIGNED])
def test_signed_endpoints_refuse_a_request_without_a_signature(world: World, name: str) -> None:
    row = MATRIX[name]
    url = reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)

    response = Client().post(url, b"{}", content_type="application/json")

    assert 400 <= response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_an_unknown_verification_code_is_not_found(world: World, role: str) -> None:
    world.statement_a()  # a statement exists, just not with this code
    client = Client()
    if role != "anonymous":
        client.force_login(world.user(role))

    response = client.get(reverse("statements:verify_code", kwargs={"code": "NOPE-NOPE"}))

    assert response.status_code == 404
    assert response.context["result"].found is False
