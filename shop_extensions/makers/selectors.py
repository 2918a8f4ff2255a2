"""Reads of initiatives and makers. Every coordinator-facing read takes the acting user and is scoped to the
initiatives that user coordinates: a coordinator of one initiative sees nothing of another."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from shop_extensions.core.actors import actor_user_id, require_actor
from shop_extensions.core.errors import NotFound, PermissionDenied
from shop_extensions.makers.models import Coordinator, CoordinatorRole, Initiative, Maker, SalesChannel


def _user_id(user: Any) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)


def initiatives_for_user(*, user: Any) -> QuerySet[Initiative]:
    user_id = _user_id(user)
    if user_id is None:
        return Initiative.objects.none()
    return Initiative.objects.filter(coordinators__user_id=user_id).order_by("name", "pk")


def coordinator_require(*, user: Any, initiative_id: int) -> Initiative:
    """The initiative, if ``user`` coordinates it. An unknown id is refused the same way, so the answer
    does not tell whether an initiative exists."""
    user_id = _user_id(user)
    initiative = (
        Initiative.objects.filter(pk=initiative_id, coordinators__user_id=user_id).first()
        if user_id is not None
        else None
    )
    if initiative is None:
        raise PermissionDenied(_("You are not a coordinator of this initiative."))
    return initiative


def makers_for_coordinator(*, user: Any, initiative_id: int) -> QuerySet[Maker]:
    initiative = coordinator_require(user=user, initiative_id=initiative_id)
    return Maker.objects.filter(initiative=initiative).order_by("display_name", "pk")


def maker_get_for_coordinator(*, user: Any, maker_id: int) -> Maker:
    """NotFound (not PermissionDenied) for a maker of another initiative: existence does not leak."""
    user_id = _user_id(user)
    maker = (
        Maker.objects.select_related("initiative")
        .filter(pk=maker_id, initiative__coordinators__user_id=user_id)
        .first()
        if user_id is not None
        else None
    )
    if maker is None:
        raise NotFound(_("This maker does not exist."))
    return maker


def initiative_for_channel(*, installation_id: int, channel_slug: str) -> Initiative | None:
    link = (
        SalesChannel.objects.select_related("initiative")
        .filter(installation_id=installation_id, channel_slug=channel_slug)
        .first()
    )
    return link.initiative if link else None


def actor_may_act_for(*, actor: str, initiative_id: int, admin_only: bool = False) -> None:
    """Service-level check: a ``user:`` actor must coordinate the initiative (as admin when ``admin_only``);
    ``system:`` actors are our own jobs and pass. Raises PermissionDenied."""
    require_actor(actor)
    user_id = actor_user_id(actor)
    if user_id is None:
        return
    roles = Coordinator.objects.filter(user_id=user_id, initiative_id=initiative_id)
    if admin_only:
        roles = roles.filter(role=CoordinatorRole.ADMIN)
    if roles.exists():
        return
    if admin_only and get_user_model().objects.filter(pk=user_id, is_superuser=True).exists():
        return
    raise PermissionDenied(_("You are not a coordinator of this initiative."))


def actor_is_operator(*, actor: str) -> bool:
    """System jobs and superusers (the operator) may create initiatives."""
    require_actor(actor)
    user_id = actor_user_id(actor)
    return user_id is None or get_user_model().objects.filter(pk=user_id, is_superuser=True).exists()
