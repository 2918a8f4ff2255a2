"""Reads: a maker's statements and files, the public verification, and the coordinator's month overview.
A maker sees only their own statements and a coordinator only their initiatives' (others are NotFound)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.files.storage import storages
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import NotFound, ValidationFailed
from shop_extensions.core.services import audit_event_record
from shop_extensions.ledger.models import MakerPeriodTotal
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Maker
from shop_extensions.statements.models import (
    ItemStatus,
    Statement,
    StatementRun,
    StatementRunItem,
    StatementShare,
)

KINDS = {
    "pdf": ("pdf_name", "application/pdf", "pdf"),
    "csv": ("csv_name", "text/csv; charset=utf-8", "csv"),
    "excel_csv": ("excel_csv_name", "text/csv; charset=utf-8", "csv"),
}


def portal_url() -> str:
    try:
        path = reverse("portal:statements")
    except NoReverseMatch:
        path = "/portal/"
    return settings.PUBLIC_BASE_URL + path


def verify_url(code: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("statements:verify_code", kwargs={"code": code})


def makers_with_activity(*, initiative_id: int, month: date) -> list[int]:
    """Makers with any ledger entry in the month (its month totals count the entries)."""
    return list(
        MakerPeriodTotal.objects.filter(period=month, entries__gt=0, maker__initiative_id=initiative_id)
        .values_list("maker_id", flat=True)
        .distinct()
        .order_by("maker_id")
    )


def initiatives_with_activity(*, month: date) -> list[int]:
    return list(
        MakerPeriodTotal.objects.filter(period=month, entries__gt=0)
        .values_list("maker__initiative_id", flat=True)
        .distinct()
        .order_by("maker__initiative_id")
    )


def _with_newest(statements: QuerySet[Statement]) -> QuerySet[Statement]:
    return statements.annotate(is_newest=~Exists(Statement.objects.filter(previous=OuterRef("pk"))))


# --- the maker's own -----------------------------------------------------------------------------------


def statements_for_maker(*, maker: Maker) -> QuerySet[Statement]:
    """Every version of every month, newest month first and newest version first; ``is_newest`` marks the
    version that counts."""
    return _with_newest(Statement.objects.filter(maker=maker)).order_by("-month", "-version")


def statement_get_for_maker(*, maker: Maker, statement_id: int) -> Statement:
    statement = _with_newest(Statement.objects.filter(pk=statement_id, maker=maker)).first()
    if statement is None:
        raise NotFound(_("This statement does not exist."))
    return statement


@dataclass(frozen=True)
class StatementFile:
    filename: str
    content_type: str
    content: bytes
    sha256: str


def file_of(*, statement: Statement, kind: str) -> StatementFile:
    if kind not in KINDS:
        raise ValidationFailed(f"unknown file kind {kind!r}")
    field, content_type, extension = KINDS[kind]
    with storages["statements"].open(getattr(statement, field), "rb") as handle:
        content = handle.read()
    suffix = "-excel" if kind == "excel_csv" else ""
    filename = f"statement-{statement.month:%Y-%m}-v{statement.version}{suffix}.{extension}"
    return StatementFile(filename, content_type, content, hashlib.sha256(content).hexdigest())


def statement_file(*, maker: Maker, statement_id: int, kind: str) -> StatementFile:
    return file_of(statement=statement_get_for_maker(maker=maker, statement_id=statement_id), kind=kind)


def statement_data(*, maker: Maker, statement_id: int) -> dict[str, Any]:
    """The statement's content as issued, with its version, code and whether it is the newest."""
    statement = statement_get_for_maker(maker=maker, statement_id=statement_id)
    return {
        "id": statement.pk,
        "version": statement.version,
        "is_newest": statement.is_newest,  # type: ignore[attr-defined]
        "previous_id": statement.previous_id,
        "reason": statement.reason,
        "issued_at": statement.issued_at.isoformat(),
        "code": statement.code,
        "verify_url": verify_url(statement.code),
        "pdf_sha256": statement.pdf_sha256,
        "csv_sha256": statement.csv_sha256,
        "content": statement.data,
    }


def statement_shares_for_maker(*, maker: Maker, statement_id: int | None = None) -> QuerySet[StatementShare]:
    shares = StatementShare.objects.filter(statement__maker=maker)
    if statement_id is not None:
        shares = shares.filter(statement_id=statement_id)
    return shares.select_related("statement").order_by("-created_at", "-pk")


# --- public verification -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the verification page may say: no more than the document itself shows (issuer and period),
    and nothing at all for an unknown code or file."""

    found: bool
    issuer: str = ""
    period: str = ""
    version: int = 0
    issued_at: datetime | None = None
    is_newest: bool = False
    newest_version: int = 0
    file_matches: bool | None = None  # None: no file was given


def statement_verify(*, code: str = "", pdf: bytes | None = None) -> Verification:
    """By code (as printed), by file (its SHA-256), or both: then the file must be that code's document."""
    code = code.strip().upper().replace(" ", "")
    if code and "-" not in code and len(code) == 10:
        code = f"{code[:5]}-{code[5:]}"
    digest = hashlib.sha256(pdf).hexdigest() if pdf is not None else None
    statement = None
    if code:
        statement = Statement.objects.select_related("initiative").filter(code=code).first()
    elif digest:
        statement = Statement.objects.select_related("initiative").filter(pdf_sha256=digest).first()
    if statement is None:
        return Verification(found=False, file_matches=False if digest else None)
    newest = (
        Statement.objects.filter(maker_id=statement.maker_id, month=statement.month)
        .order_by("-version")
        .first()
    )
    assert newest is not None
    return Verification(
        found=True,
        issuer=statement.initiative.legal_name,
        period=f"{statement.month:%Y-%m}",
        version=statement.version,
        issued_at=statement.issued_at,
        is_newest=newest.pk == statement.pk,
        newest_version=newest.version,
        file_matches=(digest == statement.pdf_sha256) if digest else None,
    )


# --- coordinators --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewRow:
    maker: Maker
    statement: Statement | None  # the newest version
    versions: int
    status: str  # the newest run item's status for this maker and month, "" when never run
    error: str


def statements_month_overview_for_coordinator(
    *, user: Any, initiative_id: int, month: date
) -> list[OverviewRow]:
    """Every maker of the initiative with activity or a statement in the month: newest version, how many
    versions, and the outcome of the latest run that included them."""
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    month = month.replace(day=1)
    newest = {
        s.maker_id: s
        for s in _with_newest(Statement.objects.filter(initiative_id=initiative_id, month=month)).order_by(
            "version"
        )
    }
    counts = dict(
        Statement.objects.filter(initiative_id=initiative_id, month=month)
        .values("maker_id")
        .annotate(n=Count("pk"))
        .values_list("maker_id", "n")
    )
    latest_items: dict[int, StatementRunItem] = {}
    for item in StatementRunItem.objects.filter(run__initiative_id=initiative_id, run__month=month).order_by(
        "run_id"
    ):
        latest_items[item.maker_id] = item
    maker_ids = (
        set(newest) | set(latest_items) | set(makers_with_activity(initiative_id=initiative_id, month=month))
    )
    makers = Maker.objects.filter(pk__in=maker_ids).order_by("display_name", "pk")
    return [
        OverviewRow(
            maker=maker,
            statement=newest.get(maker.pk),
            versions=counts.get(maker.pk, 0),
            status=latest_items[maker.pk].status if maker.pk in latest_items else "",
            error=latest_items[maker.pk].error if maker.pk in latest_items else "",
        )
        for maker in makers
    ]


@dataclass(frozen=True)
class RunProgress:
    run: StatementRun
    total: int
    pending: int
    issued: int
    unchanged: int
    failed: int
    failures: list[tuple[str, str]]  # (maker name, error)

    @property
    def finished(self) -> bool:
        return self.pending == 0


def statement_runs_for_coordinator(
    *, user: Any, initiative_id: int, month: date | None = None
) -> list[RunProgress]:
    makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    runs = StatementRun.objects.filter(initiative_id=initiative_id)
    if month is not None:
        runs = runs.filter(month=month.replace(day=1))
    runs = runs.annotate(
        total=Count("items"),
        pending=Count("items", filter=Q(items__status=ItemStatus.PENDING)),
        issued=Count("items", filter=Q(items__status=ItemStatus.ISSUED)),
        unchanged=Count("items", filter=Q(items__status=ItemStatus.UNCHANGED)),
        failed=Count("items", filter=Q(items__status=ItemStatus.FAILED)),
    ).order_by("-created_at", "-pk")[:50]
    result = []
    for run in runs:
        failures = [
            (item.maker.display_name, item.error)
            for item in run.items.filter(status=ItemStatus.FAILED)
            .select_related("maker")
            .order_by("maker_id")
        ]
        result.append(
            RunProgress(
                run=run,
                total=run.total,
                pending=run.pending,
                issued=run.issued,
                unchanged=run.unchanged,
                failed=run.failed,
                failures=failures,
            )
        )
    return result


def statements_zip_for_coordinator(*, user: Any, initiative_id: int, month: date) -> tuple[str, bytes]:
    """The newest version of every statement of the month (PDF and both CSVs) as one ZIP; audited."""
    initiative = makers_selectors.coordinator_require(user=user, initiative_id=initiative_id)
    month = month.replace(day=1)
    statements = (
        Statement.objects.filter(initiative=initiative, month=month)
        .exclude(Exists(Statement.objects.filter(previous=OuterRef("pk"))))
        .select_related("maker")
        .order_by("maker__internal_reference", "pk")
    )
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for statement in statements:
            folder = f"{statement.maker.internal_reference}".replace("/", "_")
            for kind in KINDS:
                found = file_of(statement=statement, kind=kind)
                archive.writestr(f"{folder}/{found.filename}", found.content)
            count += 1
    audit_event_record(
        actor=user_actor(user),
        action="statements.zip_downloaded",
        subject_type="initiative",
        subject_id=str(initiative.pk),
        data={"month": f"{month:%Y-%m}", "statements": count},
    )
    return f"statements-{initiative.pk}-{month:%Y-%m}.zip", buffer.getvalue()
