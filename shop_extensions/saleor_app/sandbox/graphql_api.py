"""Saleor's GraphQL API, emulated: the real schema (graphql-core) with resolvers over the sandbox state."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.language import OperationType

from . import payloads
from .state import App, PendingEvent, SandboxError, Store

DEFAULT_SCHEMA_PATH = Path(__file__).resolve().parents[3].parent / "shared" / "saleor" / "schema.graphql"
MAX_PAGE = 100


def schema_path() -> Path:
    """``$SALEOR_SCHEMA_PATH`` or ``<repo>/../shared/saleor/schema.graphql``."""
    return Path(os.environ.get("SALEOR_SCHEMA_PATH") or DEFAULT_SCHEMA_PATH)


@lru_cache(maxsize=4)
def _schema_at(path: str) -> GraphQLSchema:
    return build_schema(Path(path).read_text(encoding="utf-8"))


def get_schema() -> GraphQLSchema:
    """The Saleor schema, built once per path (takes ~3 s)."""
    return _schema_at(str(schema_path()))


class NotEmulatedError(GraphQLError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"{what} is not emulated by the sandbox",
            extensions={"exception": {"code": "NotEmulatedBySandbox"}},
        )


def sandbox_field_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """graphql-core's default resolver, but a field missing from a dict is an explicit error."""
    if isinstance(source, dict):
        if info.field_name not in source:
            raise NotEmulatedError(f"{info.parent_type.name}.{info.field_name}")
        value = source[info.field_name]
    else:
        value = getattr(source, info.field_name, None)
    return value(info, **args) if callable(value) else value


@lru_cache(maxsize=256)
def parse_and_validate(document: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    try:
        ast = parse(document)
    except GraphQLError as exc:
        return None, (exc,)
    errors = validate(get_schema(), ast)
    return (None, tuple(errors)) if errors else (ast, ())


def format_error(error: GraphQLError, default_code: str = "GraphQLError") -> dict[str, Any]:
    """Saleor's error shape: message, locations, path, extensions.exception.code."""
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        out["path"] = list(error.path)
    extensions = dict(error.extensions or {})
    if "exception" not in extensions:
        original = error.original_error
        code = type(original).__name__ if original is not None and original is not error else default_code
        extensions["exception"] = {"code": code}
    out["extensions"] = extensions
    return out


def invalid_token_response() -> tuple[int, dict[str, Any]]:
    return 401, {
        "errors": [{"message": "Invalid token", "extensions": {"exception": {"code": "InvalidTokenError"}}}]
    }


# -- Query / Mutation roots -------------------------------------------------------------------------


@dataclass
class RequestContext:
    """``info.context`` is a plain dict built from this (``app``, ``events`` collected by mutations)."""

    app: App | None
    events: list[PendingEvent] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"app": self.app, "events": self.events}


def _cursor(index: int) -> str:
    return base64.b64encode(f"arrayconnection:{index}".encode()).decode()


def _from_cursor(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rpartition(":")[2])
    except (ValueError, UnicodeError) as exc:
        raise GraphQLError("Invalid cursor.") from exc


def query_root(store: Store) -> dict[str, Any]:
    def app(info: GraphQLResolveInfo, id: str | None = None, **_: Any) -> dict[str, Any] | None:
        current: App | None = info.context["app"]
        if current is None:
            raise payloads.permission_denied("AUTHENTICATED_APP", "MANAGE_APPS")
        if id is not None and id != current.id:
            raise payloads.permission_denied("MANAGE_APPS")
        return payloads.app_obj(current)

    def product_variant(
        info: GraphQLResolveInfo,
        id: str | None = None,
        sku: str | None = None,
        **_: Any,
    ) -> dict[str, Any] | None:
        if (id is None) == (sku is None):
            raise GraphQLError("At least one of arguments is required: 'id', 'sku', 'externalReference'.")
        if sku is not None:
            found = next((v for v in store.variants.values() if v.sku == sku), None)
            return payloads.variant_obj(store, found) if found else None
        try:
            return payloads.variant_obj(store, store.variant(str(id)))
        except SandboxError:
            return None

    def products(
        info: GraphQLResolveInfo,
        first: int | None = None,
        after: str | None = None,
        channel: str | None = None,
        **args: Any,
    ) -> dict[str, Any]:
        unsupported = [k for k in ("filter", "where", "search", "sortBy", "last", "before") if args.get(k)]
        if unsupported:
            raise NotEmulatedError(f"products({', '.join(unsupported)})")
        if first is None:
            raise GraphQLError(
                "You must provide a `first` or `last` value to properly paginate the `products` connection."
            )
        if first > MAX_PAGE:
            raise GraphQLError(
                f"Requesting {first} records on the `products` connection exceeds the `first` limit of "
                f"{MAX_PAGE} records."
            )
        if channel is not None and channel != store.channel.slug:
            raise GraphQLError(f"Channel with '{channel}' slug does not exist.")
        items = [store.products[pk] for pk in sorted(store.products)]
        start = _from_cursor(after) + 1 if after else 0
        page = items[start : start + first]
        edges = [
            {"node": payloads.product_obj(store, p), "cursor": _cursor(start + i)} for i, p in enumerate(page)
        ]
        return {
            "edges": edges,
            "pageInfo": {
                "hasNextPage": start + first < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "totalCount": len(items),
        }

    def order(info: GraphQLResolveInfo, id: str | None = None, **_: Any) -> dict[str, Any] | None:
        payloads.require(info, "MANAGE_ORDERS")
        try:
            return payloads.order_obj(store, store.order(str(id)))
        except SandboxError:
            return None

    return {"app": app, "productVariant": product_variant, "products": products, "order": order}


def mutation_root(store: Store) -> dict[str, Any]:
    def stocks_update(
        info: GraphQLResolveInfo,
        stocks: list[dict[str, Any]],
        variantId: str | None = None,
        sku: str | None = None,
    ) -> dict[str, Any]:
        payloads.require(info, "MANAGE_PRODUCTS")

        def fail(errors: list[dict[str, Any]]) -> dict[str, Any]:
            full = [{"attributes": None, "values": None, "index": None, **e} for e in errors]
            return {"productVariant": None, "errors": full, "bulkStockErrors": full}

        try:
            if sku is not None:
                variant = next(v for v in store.variants.values() if v.sku == sku)
            else:
                variant = store.variant(str(variantId))
        except (SandboxError, StopIteration):
            ref = variantId if sku is None else sku
            field_name = "variantId" if sku is None else "sku"
            return fail(
                [{"field": field_name, "code": "NOT_FOUND", "message": f"Couldn't resolve to a node: {ref}"}]
            )
        errors: list[dict[str, Any]] = []
        for index, stock in enumerate(stocks):
            try:
                warehouse_pk: str | None = store.pk_of(stock["warehouse"], "Warehouse")
            except SandboxError:
                warehouse_pk = None
            if warehouse_pk not in store.warehouses:
                msg = f"Couldn't resolve to a node: {stock['warehouse']}"
                errors.append({"field": "warehouse", "code": "NOT_FOUND", "message": msg, "index": index})
            elif stock["quantity"] < 0:
                msg = "Quantity cannot be negative."
                errors.append({"field": "quantity", "code": "INVALID", "message": msg, "index": index})
        if errors:
            return fail(errors)
        for stock in stocks:
            info.context["events"].extend(store.set_stock(variant.pk, stock["warehouse"], stock["quantity"]))
        return {"productVariant": payloads.variant_obj(store, variant), "errors": [], "bulkStockErrors": []}

    return {"productVariantStocksUpdate": stocks_update}


# -- entry points -----------------------------------------------------------------------------------


@dataclass
class ApiResponse:
    status: int
    body: dict[str, Any]
    events: list[PendingEvent] = field(default_factory=list)


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def execute_api(store: Store, authorization: str | None, payload: Any) -> ApiResponse:
    """Answer one POST /graphql/ request like Saleor (status code + JSON body)."""
    token = bearer_token(authorization)
    app = store.app_by_token(token) if token is not None else None
    if authorization and app is None:
        status, body = invalid_token_response()
        return ApiResponse(status, body)
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return ApiResponse(400, {"errors": [format_error(GraphQLError("Must provide query string."))]})
    document, errors = parse_and_validate(payload["query"])
    if document is None:
        return ApiResponse(400, {"errors": [format_error(e) for e in errors]})
    op_types = {d.operation for d in document.definitions if hasattr(d, "operation")}
    if OperationType.SUBSCRIPTION in op_types:
        msg = "Subscriptions are not allowed over HTTP; they are only used as webhook payload templates."
        return ApiResponse(400, {"errors": [format_error(GraphQLError(msg))]})
    ctx = RequestContext(app=app)
    root = {**query_root(store), **mutation_root(store)}
    with store.lock:
        result = execute_sync(
            get_schema(),
            document,
            root_value=root,
            context_value=ctx.as_dict(),
            variable_values=payload.get("variables") or None,
            operation_name=payload.get("operationName") or None,
            field_resolver=sandbox_field_resolver,
        )
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [format_error(e) for e in result.errors]
    status = 400 if result.data is None and result.errors else 200
    if status == 400:
        out.pop("data")
    return ApiResponse(status, out, events=ctx.events)


def execute_subscription(document: str, root: dict[str, Any], app: App | None = None) -> ExecutionResult:
    """Run a webhook's subscription document against an event root (``{"event": {...}, ...}``)."""
    ast, errors = parse_and_validate(document)
    if ast is None:
        return ExecutionResult(data=None, errors=list(errors))
    return execute_sync(
        get_schema(),
        ast,
        root_value=root,
        context_value=RequestContext(app=app).as_dict(),
        field_resolver=sandbox_field_resolver,
    )
