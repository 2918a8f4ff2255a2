"""Portal writes: one-time login codes, linking a maker to a login, deletion requests, the audited export."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as KombuOperationalError

from shop_extensions.core import crypto
from shop_extensions.core.errors import ApplicationError, ValidationFailed
from shop_extensions.core.services import audit_event_record
from shop_extensions.makers.models import Coordinator, Maker
from shop_extensions.portal.models import DeletionRequest, LoginCode, LoginFailure

logger = logging.getLogger(__name__)

CODE_VALID = timedelta(minutes=10)
WINDOW = timedelta(minutes=15)
CODES_PER_EMAIL = 3  # code requests per address per window
CODES_PER_IP = 10  # code requests per IP per window
FAILURES_PER_EMAIL = 5  # wrong codes per address per window
FAILURES_PER_IP = 20  # wrong codes per IP per window
ATTEMPTS_PER_CODE = 5


class TooManyAttempts(ApplicationError):
    status_code = 429


def email_normalize(email: str) -> str:
    return email.strip().lower()


def code_hash(*, email: str, code: str) -> str:
    """Keyed with the secret key: a leaked table of hashes cannot be brute-forced over a million codes."""
    message = f"{email_normalize(email)}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _maker_for_email(email: str) -> Maker | None:
    # An address shared by several makers logs in to the oldest active one (documented limit).
    return (
        Maker.objects.filter(email__iexact=email, is_active=True)
        .select_related("initiative")
        .order_by("pk")
        .first()
    )


def login_code_request(*, email: str, ip: str | None) -> None:
    """Store a new code and hand its e-mail to a worker. Known and unknown addresses take the same path (a
    row and one enqueued task; the worker sends only to an active maker), so neither the answer nor its
    timing tells whether an address is known. The code travels encrypted; only its hash is stored."""
    email = email_normalize(email)
    now = timezone.now()
    since = now - WINDOW
    if LoginCode.objects.filter(email=email, created_at__gte=since).count() >= CODES_PER_EMAIL or (
        ip and LoginCode.objects.filter(ip=ip, created_at__gte=since).count() >= CODES_PER_IP
    ):
        raise TooManyAttempts("too many codes requested; wait a quarter of an hour")
    maker = _maker_for_email(email)
    code = f"{secrets.randbelow(10**6):06d}"
    row = LoginCode.objects.create(
        email=email,
        maker=maker,
        code_hash=code_hash(email=email, code=code),
        ip=ip,
        created_at=now,
        expires_at=now + CODE_VALID,
    )
    # Called by the view outside any transaction: the row is committed before the worker looks for it.
    from shop_extensions.portal.tasks import login_code_mail_task

    try:
        login_code_mail_task.delay(row.pk, crypto.encrypt(code))
    except (OSError, KombuOperationalError):  # the broker is down: no mail; the maker asks for a new code
        logger.exception("login code not handed to a worker")


def login_code_mail(*, login_code_id: int, sealed_code: str) -> bool:
    """The worker's half of ``login_code_request``: mail the code to the maker, if the address is a maker's
    and the code is still usable. Returns whether a mail was sent."""
    row = LoginCode.objects.select_related("maker").filter(pk=login_code_id).first()
    if (
        row is None
        or row.maker is None
        or not row.maker.is_active
        or row.used_at
        or row.expires_at <= timezone.now()
    ):
        return False
    code = crypto.decrypt(sealed_code)
    if not hmac.compare_digest(code_hash(email=row.email, code=code), row.code_hash):
        return False  # not the code this row was made for
    with translation.override(row.maker.preferred_language):
        send_mail(
            _("Your login code for Rode Draad"),
            _(
                "Your code is %(code)s.\n\nType this code on the login page. The code works for 10 minutes, "
                "and only once.\n\nDid you not ask for a code? Then you can ignore this e-mail."
            )
            % {"code": code},
            settings.DEFAULT_FROM_EMAIL,
            [row.maker.email],
        )
    return True


def _user_for(maker: Maker) -> Any:
    if maker.user_id is not None:
        return maker.user
    user = get_user_model().objects.create_user(username=f"maker-{maker.pk}", email=maker.email)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    maker.user = user
    maker.save(update_fields=["user"])
    return user


def login_code_verify(*, email: str, code: str, ip: str | None) -> Maker:
    """The maker whose open code this is; the code is used up. A wrong, expired or used code is one failure
    toward the rate limits; the message never says which of those it was."""
    email = email_normalize(email)
    now = timezone.now()
    since = now - WINDOW
    if LoginFailure.objects.filter(email=email, created_at__gte=since).count() >= FAILURES_PER_EMAIL or (
        ip and LoginFailure.objects.filter(ip=ip, created_at__gte=since).count() >= FAILURES_PER_IP
    ):
        raise TooManyAttempts("too many wrong codes; wait a quarter of an hour")
    given = code_hash(email=email, code=code.strip())
    with transaction.atomic():
        candidates = list(
            LoginCode.objects.select_for_update()
            .filter(
                email=email,
                used_at__isnull=True,
                expires_at__gt=now,
                maker__isnull=False,
                attempts__lt=ATTEMPTS_PER_CODE,
            )
            .order_by("-created_at")[:CODES_PER_EMAIL]
        )
        # Compare against every candidate, constant-time, so timing does not tell which one matched.
        matches = [c for c in candidates if hmac.compare_digest(c.code_hash, given)]
        if matches:
            found = matches[0]
            LoginCode.objects.filter(email=email, used_at__isnull=True).update(used_at=now)
            assert found.maker_id is not None  # candidates were filtered on maker__isnull=False
            maker = Maker.objects.select_for_update().get(pk=found.maker_id)
            if not maker.is_active:
                raise ValidationFailed("this code is not valid (any more)")
            _user_for(maker)
            audit_event_record(
                actor=f"user:{maker.user_id}",
                action="portal.login",
                subject_type="maker",
                subject_id=str(maker.pk),
                data={"method": "email_code"},
            )
            return maker
        LoginCode.objects.filter(pk__in=[c.pk for c in candidates]).update(attempts=F("attempts") + 1)
        LoginFailure.objects.create(email=email, ip=ip, created_at=now)
    raise ValidationFailed("this code is not valid (any more)")


def deletion_request_create(*, maker: Maker, note: str = "") -> tuple[DeletionRequest, bool]:
    """Record the request (once while one is open), audit it and tell the initiative's coordinators."""
    with transaction.atomic():
        request, created = DeletionRequest.objects.get_or_create(
            maker=maker,
            handled_at=None,
            defaults={"requested_at": timezone.now(), "note": note[:500]},
        )
        if created:
            audit_event_record(
                actor=f"user:{maker.user_id}" if maker.user_id else "system:portal",
                action="maker.deletion_requested",
                subject_type="maker",
                subject_id=str(maker.pk),
                data={"request_id": request.pk},
            )
            recipients = list(
                Coordinator.objects.filter(initiative_id=maker.initiative_id)
                .exclude(user__email="")
                .values_list("user__email", flat=True)
            )
            if recipients:
                transaction.on_commit(lambda: _tell_coordinators(maker_id=maker.pk, recipients=recipients))
    return request, created


def _tell_coordinators(*, maker_id: int, recipients: list[str]) -> None:
    # No contact details in the mail: the coordinator looks the maker up in the workspace.
    send_mail(
        "Rode Draad: verzoek om gegevens te wissen / request to delete data",
        f"Maker {maker_id} vraagt om het wissen van hun gegevens. / Maker {maker_id} asks for their data "
        "to be deleted.\n\nGegevens die de wet vraagt te bewaren blijven staan. / Records the law requires "
        "us to keep stay.",
        settings.DEFAULT_FROM_EMAIL,
        recipients,
    )


def my_data_collect(*, maker: Maker) -> dict[str, Any]:
    """Everything stored about the maker, for the page and the JSON export. Reading the benefit situation
    (which holds a health flag) is audited like every other read of it."""
    from shop_extensions.benefits.models import BenefitSituation
    from shop_extensions.ledger.models import EarningEntry

    situation = BenefitSituation.objects.filter(maker=maker).first()
    audit_event_record(
        actor=f"user:{maker.user_id}" if maker.user_id else "system:portal",
        action="benefit_situation.self_read",
        subject_type="maker",
        subject_id=str(maker.pk),
        data={"fields": ["medically_limited"], "exists": situation is not None},
    )
    entries = EarningEntry.objects.filter(maker=maker).order_by("effective_at", "pk")
    return {
        "maker": {
            "display_name": maker.display_name,
            "email": maker.email,
            "phone": maker.phone,
            "preferred_language": maker.preferred_language,
            "internal_reference": maker.internal_reference,
            "initiative": maker.initiative.name,
            "active": maker.is_active,
            "registered_at": maker.created_at.isoformat(),
        },
        "consent": {
            "public_name": maker.consent_public_name,
            "share_statements": maker.consent_share_statements,
        },
        "benefit_situation": None
        if situation is None
        else {
            "regime": situation.regime,
            "municipality": situation.municipality,
            "date_of_birth": situation.date_of_birth.isoformat() if situation.date_of_birth else None,
            "under_27": situation.under_27,
            "household_type": situation.household_type,
            "single_parent_child_under_12": situation.single_parent_child_under_12,
            "medically_limited": situation.medically_limited,
            "loonkostensubsidie": situation.loonkostensubsidie,
            "free_period_started": situation.free_period_started.isoformat()
            if situation.free_period_started
            else None,
            "personal_monthly_limit": str(situation.personal_monthly_limit)
            if situation.personal_monthly_limit is not None
            else None,
            "income_basis": situation.income_basis,
        },
        "ledger_entries": [
            {
                "kind": e.kind,
                "amount": str(e.amount),
                "currency": e.currency,
                "quantity": str(e.quantity),
                "effective_at": e.effective_at.isoformat(),
            }
            for e in entries
        ],
        "deletion_requests": [
            {
                "requested_at": r.requested_at.isoformat(),
                "handled_at": r.handled_at.isoformat() if r.handled_at else None,
            }
            for r in DeletionRequest.objects.filter(maker=maker).order_by("requested_at")
        ],
    }
