"""Writes: issue a statement version, runs over a month's makers, shares, delivery.

A statement is issued under a per-maker advisory lock: the content is built from the ledger, and only when
its fingerprint differs from the newest version's is a new version rendered, stored and inserted. So a rerun
of a month issues nothing new, and a late refund issues exactly one correction."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shop_extensions.core.errors import NotFound, ValidationFailed
from shop_extensions.core.services import audit_event_record
from shop_extensions.makers import selectors as makers_selectors
from shop_extensions.makers.models import Initiative, Maker
from shop_extensions.statements import content as content_module
from shop_extensions.statements import rendering, selectors
from shop_extensions.statements.models import (
    ItemStatus,
    RunTrigger,
    Statement,
    StatementDelivery,
    StatementRun,
    StatementRunItem,
    StatementSettings,
    StatementShare,
)

logger = logging.getLogger(__name__)

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_LOCK_CLASS = 0x5354  # advisory lock namespace for statements ("ST")
SHARE_MAX_DAYS = 90


def verification_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _lock_maker_month(maker_id: int, month: date) -> None:
    # Serialises issuing for one maker across workers; other makers proceed in parallel.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)",
            [_LOCK_CLASS, (maker_id * 10000 + month.year * 12 + month.month) % 2**31],
        )


def _has_activity(content: dict[str, Any]) -> bool:
    return any(content[section] for section in ("sales", "refunds", "payouts", "pot"))


def _auto_reason(previous: Statement, content: dict[str, Any]) -> str:
    """What changed since the previous version, in the maker's language (the figures are on both)."""
    before, after = previous.data["totals"], content["totals"]
    changed = [key for key in ("earned", "paid_out", "pot_spent") if before.get(key) != after.get(key)]
    names = {"earned": _("earned"), "paid_out": _("paid out"), "pot_spent": _("spent from your pot")}
    if not changed:
        return _("Details changed after version %(version)s was issued.") % {"version": previous.version}
    parts = [f"{names[key]} {before[key]} → {after[key]}" for key in changed]
    return _("Figures changed after version %(version)s was issued: %(changes)s.") % {
        "version": previous.version,
        "changes": "; ".join(parts),
    }


def _store(name: str, payload: bytes) -> str:
    return storages["statements"].save(name, ContentFile(payload))


def _sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def statement_issue(
    *, maker_id: int, month: date, actor: str, reason: str = "", force: bool = False
) -> tuple[Statement, bool]:
    """The newest version of the maker's month: an existing one when nothing changed (``False``), else a new
    version rendered and stored (``True``). ``force`` issues a new version with ``reason`` even when the
    figures did not change (a coordinator's correction of something outside them)."""
    month = content_module.month_start(month)
    with transaction.atomic():
        _lock_maker_month(maker_id, month)
        maker = Maker.objects.select_related("initiative").filter(pk=maker_id).first()
        if maker is None:
            raise NotFound("no such maker")
        content = content_module.statement_content(maker=maker, month=month)
        fingerprint = content_module.fingerprint(content)
        latest = Statement.objects.filter(maker=maker, month=month).order_by("-version").first()
        if latest is not None and latest.fingerprint == fingerprint and not force:
            return latest, False
        if latest is None and not _has_activity(content):
            raise ValidationFailed(_("This maker had no activity in that month."))
        if force and not reason.strip():
            raise ValidationFailed(_("Say why the statement is made again."))
        with translation.override(content["language"]):
            note = reason.strip() or (_auto_reason(latest, content) if latest is not None else "")
        document = rendering.Document(
            version=latest.version + 1 if latest else 1,
            code=verification_code(),
            verify_url="",
            issued_at=timezone.now(),
            previous_code=latest.code if latest else "",
            previous_version=latest.version if latest else 0,
            reason=note,
        )
        document = rendering.Document(
            **{**document.__dict__, "verify_url": selectors.verify_url(document.code)}
        )
        pdf = rendering.pdf_render(content, document)
        plain_csv = rendering.csv_render(content, document)
        excel_csv = rendering.excel_csv_render(content, document)
        stem = f"{maker.initiative_id}/{content['period']}/{maker.pk}-v{document.version}-{document.code}"
        statement = Statement.objects.create(
            maker=maker,
            initiative=maker.initiative,
            month=month,
            version=document.version,
            previous=latest,
            reason=note[:300],
            currency=content["currency"],
            language=content["language"],
            data=content,
            fingerprint=fingerprint,
            code=document.code,
            pdf_name=_store(f"{stem}.pdf", pdf),
            pdf_sha256=_sha(pdf),
            csv_name=_store(f"{stem}.csv", plain_csv),
            csv_sha256=_sha(plain_csv),
            excel_csv_name=_store(f"{stem}-excel.csv", excel_csv),
            excel_csv_sha256=_sha(excel_csv),
            issued_at=document.issued_at,
            issued_by=actor,
        )
        audit_event_record(
            actor=actor,
            action="statement.issued",
            subject_type="statement",
            subject_id=str(statement.pk),
            data={
                "maker_id": maker.pk,
                "month": content["period"],
                "version": statement.version,
                "pdf_sha256": statement.pdf_sha256,
                "reason": statement.reason,
            },
        )
    return statement, True


# --- runs ----------------------------------------------------------------------------------------------


def _enqueue_batches(run_id: int, maker_ids: list[int]) -> None:
    from shop_extensions.statements.tasks import statements_batch_task

    size = settings.STATEMENTS_BATCH_SIZE
    for start in range(0, len(maker_ids), size):
        statements_batch_task.delay(run_id, maker_ids[start : start + size])


def statement_run_start(
    *,
    initiative_id: int,
    month: date,
    trigger: str,
    actor: str,
    reason: str = "",
    maker_ids: list[int] | None = None,
    enqueue: bool = True,
) -> StatementRun:
    """A run over the makers (those with activity in the month, unless named), fanned out in small batches
    to the workers once committed."""
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id)
    month = content_module.month_start(month)
    with transaction.atomic():
        if maker_ids is None:
            maker_ids = selectors.makers_with_activity(initiative_id=initiative_id, month=month)
        else:
            found = set(
                Maker.objects.filter(pk__in=maker_ids, initiative_id=initiative_id).values_list(
                    "pk", flat=True
                )
            )
            if found != set(maker_ids):
                raise NotFound("no such maker")
        run = StatementRun.objects.create(
            initiative_id=initiative_id, month=month, trigger=trigger, actor=actor, reason=reason[:300]
        )
        StatementRunItem.objects.bulk_create(
            [StatementRunItem(run=run, maker_id=m) for m in sorted(maker_ids)]
        )
        audit_event_record(
            actor=actor,
            action="statement_run.started",
            subject_type="initiative",
            subject_id=str(initiative_id),
            data={
                "run_id": run.pk,
                "month": month.isoformat()[:7],
                "makers": len(maker_ids),
                "trigger": trigger,
            },
        )
        if enqueue:
            ids = sorted(maker_ids)
            transaction.on_commit(lambda: _enqueue_batches(run.pk, ids), robust=True)
    return run


def statements_month_close(*, month: date, actor: str = "system:statements") -> list[StatementRun]:
    """The monthly job: one run per initiative that had any activity in the month."""
    month = content_module.month_start(month)
    runs = []
    for initiative_id in selectors.initiatives_with_activity(month=month):
        runs.append(
            statement_run_start(
                initiative_id=initiative_id, month=month, trigger=RunTrigger.MONTHLY, actor=actor
            )
        )
    return runs


def run_item_process(*, run_id: int, maker_id: int) -> str:
    """Issue one maker's statement for the run and record the outcome; an error is recorded on the item
    (the caller retries), never raised, so one maker does not stop the others. Idempotent."""
    item = StatementRunItem.objects.select_related("run").filter(run_id=run_id, maker_id=maker_id).first()
    if item is None:
        raise NotFound("no such run item")
    if item.status in (ItemStatus.ISSUED, ItemStatus.UNCHANGED):
        return item.status
    run = item.run
    try:
        with transaction.atomic():
            statement, created = statement_issue(
                maker_id=maker_id,
                month=run.month,
                actor=run.actor,
                reason=run.reason,
                force=run.trigger == RunTrigger.REGENERATE,
            )
            status = ItemStatus.ISSUED if created else ItemStatus.UNCHANGED
            StatementRunItem.objects.filter(pk=item.pk).update(
                status=status, attempts=F("attempts") + 1, statement=statement, error=""
            )
            transaction.on_commit(lambda: _enqueue_notify(statement.pk), robust=True)
    except Exception as exc:  # recorded for the coordinator and retried by the task
        logger.exception("statement for maker %s failed", maker_id)
        message = exc.message if hasattr(exc, "message") else f"{type(exc).__name__}: {exc}"
        StatementRunItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.FAILED, attempts=F("attempts") + 1, error=str(message)[:500]
        )
        return ItemStatus.FAILED
    return status


def run_batch_process(*, run_id: int, maker_ids: list[int]) -> list[int]:
    """Each maker in its own transaction; returns the makers that failed (to be retried)."""
    return [m for m in maker_ids if run_item_process(run_id=run_id, maker_id=m) == ItemStatus.FAILED]


def statements_generate(
    *, initiative_id: int, month: date, actor: str, maker_id: int | None = None
) -> StatementRun:
    """On demand, for one maker or a whole initiative: a run the workers process like the monthly one."""
    return statement_run_start(
        initiative_id=initiative_id,
        month=month,
        trigger=RunTrigger.ON_DEMAND,
        actor=actor,
        maker_ids=[maker_id] if maker_id is not None else None,
    )


def statement_regenerate(
    *, maker_id: int, month: date, reason: str, actor: str, force: bool = False
) -> tuple[Statement, bool]:
    """A coordinator's regeneration, done at once: a new version with the coordinator's reason when the
    figures changed (or always, with ``force``); else the current version and ``False``."""
    if not reason.strip():
        raise ValidationFailed(_("Say why the statement is made again."))
    maker = Maker.objects.filter(pk=maker_id).first()
    if maker is None:
        raise NotFound("no such maker")
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=maker.initiative_id)
    run = statement_run_start(
        initiative_id=maker.initiative_id,
        month=month,
        trigger=RunTrigger.REGENERATE if force else RunTrigger.ON_DEMAND,
        actor=actor,
        reason=reason,
        maker_ids=[maker_id],
        enqueue=False,
    )
    status = run_item_process(run_id=run.pk, maker_id=maker_id)
    item = StatementRunItem.objects.select_related("statement").get(run=run, maker_id=maker_id)
    if status == ItemStatus.FAILED or item.statement is None:
        raise ValidationFailed(item.error or _("The statement could not be made."))
    return item.statement, status == ItemStatus.ISSUED


def statement_settings_set(
    *, initiative_id: int, income_nature: str, signatory: str, actor: str
) -> StatementSettings:
    makers_selectors.actor_may_act_for(actor=actor, initiative_id=initiative_id)
    if not Initiative.objects.filter(pk=initiative_id).exists():
        raise NotFound("no such initiative")
    with transaction.atomic():
        row, _created = StatementSettings.objects.update_or_create(
            initiative_id=initiative_id, defaults={"income_nature": income_nature, "signatory": signatory}
        )
        audit_event_record(
            actor=actor,
            action="statement_settings.set",
            subject_type="initiative",
            subject_id=str(initiative_id),
            data={"income_nature": income_nature},
        )
    return row


# --- delivery ------------------------------------------------------------------------------------------


def _enqueue_notify(statement_id: int) -> None:
    from shop_extensions.statements.tasks import statement_notify_task

    statement_notify_task.delay(statement_id)


def statement_notify(*, statement_id: int) -> bool:
    """Tell the maker once that a statement is ready: a link to the portal, no figures, no attachment.
    Only the newest version is announced (an older one superseded meanwhile is skipped)."""
    with transaction.atomic():
        statement = Statement.objects.select_related("maker").filter(pk=statement_id).first()
        if statement is None or Statement.objects.filter(previous=statement).exists():
            return False
        _delivery, created = StatementDelivery.objects.get_or_create(
            statement=statement, defaults={"channel": "email" if statement.maker.email else "none"}
        )
        if not created or not statement.maker.email:
            return False
        with translation.override(statement.language):
            from shop_extensions.statements.formatting import month_name

            period = month_name(statement.month, statement.language)
            subject = _("Your income statement for %(period)s is ready") % {"period": period}
            body = _(
                "Hello %(name)s,\n\nYour income statement for %(period)s is ready in the portal:\n%(url)s\n\n"
                "You can download it there as PDF or CSV, and share it with your client manager.\n"
            ) % {"name": statement.maker.display_name, "period": period, "url": selectors.portal_url()}
        send_mail(subject, body, None, [statement.maker.email])
        audit_event_record(
            actor="system:statements",
            action="statement.notified",
            subject_type="statement",
            subject_id=str(statement.pk),
            data={"channel": "email"},
        )
    return True


# --- shares --------------------------------------------------------------------------------------------


def _maker_actor(maker: Maker) -> str:
    return f"user:{maker.user_id}" if maker.user_id else "system:portal"


def statement_share_create(*, maker: Maker, statement_id: int, days: int) -> tuple[StatementShare, str]:
    """A download link for someone the maker chooses (valid ``days`` days, revocable). The token is shown
    once, here; only its hash is kept."""
    if not 1 <= days <= SHARE_MAX_DAYS:
        raise ValidationFailed(f"a share lasts 1 to {SHARE_MAX_DAYS} days")
    statement = selectors.statement_get_for_maker(maker=maker, statement_id=statement_id)
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        share = StatementShare.objects.create(
            statement=statement,
            token_sha256=_sha(token.encode()),
            expires_at=timezone.now() + timedelta(days=days),
        )
        audit_event_record(
            actor=_maker_actor(maker),
            action="statement_share.created",
            subject_type="statement",
            subject_id=str(statement.pk),
            data={"share_id": share.pk, "maker_id": maker.pk, "days": days},
        )
    url = settings.PUBLIC_BASE_URL + reverse("statements:shared", kwargs={"token": token})
    return share, url


def statement_share_revoke(*, maker: Maker, share_id: int) -> StatementShare:
    with transaction.atomic():
        share = StatementShare.objects.select_for_update().filter(pk=share_id, statement__maker=maker).first()
        if share is None:
            raise NotFound("no such share")
        if share.revoked_at is None:
            share.revoked_at = timezone.now()
            share.save(update_fields=["revoked_at"])
            audit_event_record(
                actor=_maker_actor(maker),
                action="statement_share.revoked",
                subject_type="statement",
                subject_id=str(share.statement_id),
                data={"share_id": share.pk, "maker_id": maker.pk},
            )
    return share


def statement_share_open(*, token: str) -> selectors.StatementFile:
    """The shared PDF for a valid, unrevoked token; NotFound otherwise (expired and unknown look alike)."""
    digest = _sha(token.encode())
    share = StatementShare.objects.select_related("statement").filter(token_sha256=digest).first()
    if share is None or share.revoked_at is not None or share.expires_at <= timezone.now():
        raise NotFound("this link is not valid (any more)")
    StatementShare.objects.filter(pk=share.pk).update(downloads=F("downloads") + 1)
    return selectors.file_of(statement=share.statement, kind="pdf")


def run_items_retryable(*, run_id: int, maker_ids: list[int], max_attempts: int) -> list[int]:
    """Of the failed makers, those with attempts left."""
    return list(
        StatementRunItem.objects.filter(
            run_id=run_id, maker_id__in=maker_ids, status=ItemStatus.FAILED, attempts__lt=max_attempts
        )
        .order_by("maker_id")
        .values_list("maker_id", flat=True)
    )
