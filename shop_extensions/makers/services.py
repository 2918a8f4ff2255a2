"""Writes for initiatives, coordinators and makers. Each runs in one transaction with its audit event.

``actor`` is ``user:<id>`` (checked: must coordinate the initiative) or ``system:<job>``. Audit events name
what changed but hold no contact details."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from shop_extensions.core.errors import PermissionDenied, ValidationFailed
from shop_extensions.core.services import audit_event_record
from shop_extensions.makers import selectors
from shop_extensions.makers.models import (
    AttributionBase,
    Coordinator,
    CoordinatorRole,
    Initiative,
    Language,
    Maker,
    SalesChannel,
)
from shop_extensions.saleor_app.models import Installation

CONSENT_FIELDS = ("consent_public_name", "consent_share_statements")


def _clean(obj: Any, *, exclude: list[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise ValidationFailed(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()),
            extra={"fields": exc.message_dict},
        ) from exc


def initiative_create(
    *,
    actor: str,
    name: str,
    legal_name: str,
    kvk_number: str = "",
    address: str = "",
    postal_code: str = "",
    city: str = "",
    country: str = "NL",
    currency: str = "EUR",
    default_commission_percent: Decimal = Decimal("20.00"),
    attribution_base: str = AttributionBase.NET,
    installation: Installation | None = None,
    warehouse_id: str = "",
) -> Initiative:
    if not selectors.actor_is_operator(actor=actor):
        raise PermissionDenied("only the operator creates initiatives")
    initiative = Initiative(
        name=name,
        legal_name=legal_name,
        kvk_number=kvk_number,
        address=address,
        postal_code=postal_code,
        city=city,
        country=country,
        currency=currency,
        default_commission_percent=default_commission_percent,
        attribution_base=attribution_base,
        installation=installation,
        warehouse_id=warehouse_id,
    )
    _clean(initiative)
    with transaction.atomic():
        initiative.save()
        audit_event_record(
            actor=actor,
            action="initiative.created",
            subject_type="initiative",
            subject_id=str(initiative.pk),
            data={"name": name, "installation_id": installation.pk if installation else None},
        )
    return initiative


def coordinator_add(
    *, initiative: Initiative, user: Any, role: str = CoordinatorRole.COORDINATOR, actor: str
) -> Coordinator:
    """Give ``user`` a role in the initiative (or change it). Only an admin of the initiative, a superuser
    or a system job may do so."""
    selectors.actor_may_act_for(actor=actor, initiative_id=initiative.pk, admin_only=True)
    if role not in CoordinatorRole.values:
        raise ValidationFailed(f"unknown role {role!r}")
    with transaction.atomic():
        coordinator, created = Coordinator.objects.select_for_update().get_or_create(
            user=user, initiative=initiative, defaults={"role": role}
        )
        old_role = None if created else coordinator.role
        if not created and coordinator.role != role:
            coordinator.role = role
            coordinator.save(update_fields=["role"])
        audit_event_record(
            actor=actor,
            action="coordinator.added" if created else "coordinator.role_set",
            subject_type="initiative",
            subject_id=str(initiative.pk),
            data={"user_id": user.pk, "role": role, "old_role": old_role},
        )
    return coordinator


def maker_create(
    *,
    initiative: Initiative,
    actor: str,
    display_name: str,
    email: str = "",
    phone: str = "",
    preferred_language: str = Language.NL,
    internal_reference: str,
    consent_public_name: bool = False,
    consent_share_statements: bool = False,
) -> Maker:
    selectors.actor_may_act_for(actor=actor, initiative_id=initiative.pk)
    maker = Maker(
        initiative=initiative,
        display_name=display_name.strip(),
        email=email.strip(),
        phone=phone.strip(),
        preferred_language=preferred_language,
        internal_reference=internal_reference.strip(),
        consent_public_name=consent_public_name,
        consent_share_statements=consent_share_statements,
    )
    _clean(maker, exclude=["user"])
    try:
        with transaction.atomic():
            maker.save()
            audit_event_record(
                actor=actor,
                action="maker.created",
                subject_type="maker",
                subject_id=str(maker.pk),
                data={
                    "initiative_id": initiative.pk,
                    "consent_public_name": consent_public_name,
                    "consent_share_statements": consent_share_statements,
                },
            )
    except IntegrityError as exc:  # the same reference registered concurrently
        raise ValidationFailed(_("A maker with this internal reference already exists.")) from exc
    return maker


_UNSET: Any = object()


def maker_update(
    *,
    maker: Maker,
    actor: str,
    display_name: str = _UNSET,
    email: str = _UNSET,
    phone: str = _UNSET,
    preferred_language: str = _UNSET,
    internal_reference: str = _UNSET,
    consent_public_name: bool = _UNSET,
    consent_share_statements: bool = _UNSET,
    is_active: bool = _UNSET,
) -> Maker:
    """Change the given fields only. Consent changes are audited with their old and new values; other
    fields by name only (no contact details in the audit log)."""
    selectors.actor_may_act_for(actor=actor, initiative_id=maker.initiative_id)
    given: dict[str, Any] = {
        "display_name": display_name,
        "email": email,
        "phone": phone,
        "preferred_language": preferred_language,
        "internal_reference": internal_reference,
        "consent_public_name": consent_public_name,
        "consent_share_statements": consent_share_statements,
        "is_active": is_active,
    }
    with transaction.atomic():
        current = Maker.objects.select_for_update().get(pk=maker.pk)
        changes: dict[str, tuple[Any, Any]] = {}
        for field, value in given.items():
            if value is _UNSET:
                continue
            if isinstance(value, str):
                value = value.strip()
            old = getattr(current, field)
            if old != value:
                changes[field] = (old, value)
                setattr(current, field, value)
        if not changes:
            return current
        _clean(current, exclude=["user"])
        try:
            with transaction.atomic():
                current.save(update_fields=list(changes))
        except IntegrityError as exc:
            raise ValidationFailed(_("A maker with this internal reference already exists.")) from exc
        audit_event_record(
            actor=actor,
            action="maker.updated",
            subject_type="maker",
            subject_id=str(current.pk),
            data={
                "fields": sorted(changes),
                "consent": {
                    field: {"old": old, "new": new}
                    for field, (old, new) in changes.items()
                    if field in CONSENT_FIELDS
                },
            },
        )
    for field in changes:
        setattr(maker, field, getattr(current, field))
    return current


def sales_channel_link(
    *, initiative: Initiative, installation: Installation, channel_slug: str, actor: str
) -> SalesChannel:
    """Orders in this Saleor channel belong to the initiative. Linking again is a no-op; a channel already
    linked to another initiative is refused."""
    selectors.actor_may_act_for(actor=actor, initiative_id=initiative.pk, admin_only=True)
    channel_slug = channel_slug.strip()
    if not channel_slug:
        raise ValidationFailed("a channel slug is required")
    if initiative.installation_id is not None and initiative.installation_id != installation.pk:
        raise ValidationFailed("the initiative sells through another Saleor installation")
    with transaction.atomic():
        link, created = SalesChannel.objects.get_or_create(
            installation=installation, channel_slug=channel_slug, defaults={"initiative": initiative}
        )
        if link.initiative_id != initiative.pk:
            raise ValidationFailed("this channel belongs to another initiative")
        if created:
            if initiative.installation_id is None:
                Initiative.objects.filter(pk=initiative.pk).update(installation=installation)
                initiative.installation = installation
            audit_event_record(
                actor=actor,
                action="sales_channel.linked",
                subject_type="initiative",
                subject_id=str(initiative.pk),
                data={"installation_id": installation.pk, "channel_slug": channel_slug},
            )
    return link
