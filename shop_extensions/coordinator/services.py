"""Trusting the Saleor Dashboard's user token: the workspace opened as the app's page gets a user JWT from the
Dashboard (AppBridge handshake). It is accepted only when it is signed (RS256) by a key of an active
installation's JWKS, names that installation as issuer and our app as audience (``app``), is not expired,
carries the permissions the workspace needs, and its e-mail belongs to exactly one coordinator of an
initiative selling through that installation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from shop_extensions.core.actors import user_actor
from shop_extensions.core.errors import ApplicationError
from shop_extensions.core.services import audit_event_record
from shop_extensions.makers.models import Initiative
from shop_extensions.saleor_app import jws, saleor
from shop_extensions.saleor_app.allowlist import normalise_api_url
from shop_extensions.saleor_app.manifest import PERMISSIONS
from shop_extensions.saleor_app.models import Installation
from shop_extensions.saleor_app.services import installation_refresh_jwks

logger = logging.getLogger(__name__)

# What a Dashboard user must hold to use the workspace: the same as the app itself (sales and stock).
REQUIRED_PERMISSIONS = frozenset(PERMISSIONS)
# Clock difference tolerated between Saleor and us.
LEEWAY_SECONDS = 30


class DashboardTokenRefused(ApplicationError):
    """The token is not a valid, current Dashboard token of one of our installations."""

    status_code = 401


class DashboardUserRefused(ApplicationError):
    """The token is genuine, but its user may not use the workspace."""

    status_code = 403


@dataclass(frozen=True)
class DashboardIdentity:
    installation: Installation
    user: Any
    initiatives: list[Initiative]


def _installation(saleor_api_url: str) -> Installation:
    try:
        api_url = normalise_api_url(saleor_api_url)
    except ValueError as exc:
        raise DashboardTokenRefused(_("the Saleor API URL is not valid")) from exc
    installation = Installation.objects.filter(api_url=api_url, is_active=True).first()
    if installation is None:
        raise DashboardTokenRefused(_("the app is not installed in this Saleor"))
    return installation


def _issuer_matches(issuer: object, installation: Installation) -> bool:
    """Saleor puts its API URL in ``iss`` (older versions: its domain); both must name this installation."""
    if not isinstance(issuer, str) or not issuer:
        return False
    parts = urlsplit(installation.api_url)
    if issuer == parts.netloc or (installation.domain and issuer == installation.domain):
        return True
    try:
        return normalise_api_url(issuer) == installation.api_url
    except ValueError:
        return False


def _key(installation: Installation, kid: str) -> Any:
    try:
        return jws.key_for(installation.jwks, kid)
    except jws.UnknownKey:
        pass
    # A rotated key: refetch the JWKS (at most once per window per installation, shared with webhooks).
    try:
        refetched = installation_refresh_jwks(installation=installation)
    except (saleor.SaleorUnreachable, saleor.SaleorError) as exc:
        raise DashboardTokenRefused(_("Saleor's signing keys could not be fetched; try again")) from exc
    if not refetched:
        installation.refresh_from_db(fields=["jwks", "jwks_fetched_at"])
    try:
        return jws.key_for(installation.jwks, kid)
    except jws.UnknownKey as exc:
        raise DashboardTokenRefused(_("the token is signed with an unknown key")) from exc


def dashboard_token_verify(*, token: str, saleor_api_url: str) -> DashboardIdentity:
    """Verify a Dashboard user token for the installation at ``saleor_api_url``; never trusts anything in
    the token before its signature is checked, except the key id used to find the key."""
    if not token or not isinstance(token, str):
        raise DashboardTokenRefused(_("no token"))
    try:
        header = jwt.get_unverified_header(token)
        if not saleor_api_url:
            # The Dashboard passes saleorApiUrl in the page's query; without it, the issuer only picks
            # which installation's keys must have signed the token.
            unverified = jwt.decode(token, options={"verify_signature": False})
            saleor_api_url = str(unverified.get("iss") or "")
    except jwt.DecodeError as exc:
        raise DashboardTokenRefused(_("the token is not a JWT")) from exc
    installation = _installation(saleor_api_url)
    # Only RS256: refuses "none" and HS256-signed-with-the-public-key before a key is touched.
    if header.get("alg") != "RS256":
        raise DashboardTokenRefused(_("the token is not signed with RS256"))
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise DashboardTokenRefused(_("the token names no key"))
    key = _key(installation, kid)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss"], "verify_aud": False},
        )
    except jwt.ExpiredSignatureError as exc:
        raise DashboardTokenRefused(_("the token has expired")) from exc
    except jwt.InvalidTokenError as exc:
        raise DashboardTokenRefused(_("the token is not valid: %(reason)s") % {"reason": exc}) from exc
    if not _issuer_matches(claims.get("iss"), installation):
        raise DashboardTokenRefused(_("the token was issued by another Saleor"))
    if claims.get("app") != installation.app_id:
        raise DashboardTokenRefused(_("the token was issued for another app"))
    permissions = claims.get("user_permissions")
    if not isinstance(permissions, list) or not set(permissions) >= REQUIRED_PERMISSIONS:
        raise DashboardUserRefused(
            _("your Saleor account lacks the permissions the workspace needs: %(permissions)s")
            % {"permissions": ", ".join(sorted(REQUIRED_PERMISSIONS))}
        )
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise DashboardUserRefused(_("the token names no e-mail address"))
    users = list(
        get_user_model()
        .objects.filter(
            email__iexact=email.strip(),
            is_active=True,
            coordinator_roles__initiative__installation=installation,
        )
        .distinct()[:2]
    )
    if len(users) != 1:
        # None, or two accounts with one address: refuse rather than guess whose session to start.
        raise DashboardUserRefused(
            _("no coordinator of an initiative in this Saleor has this e-mail address")
        )
    user = users[0]
    initiatives = list(
        Initiative.objects.filter(coordinators__user=user, installation=installation).order_by("name", "pk")
    )
    return DashboardIdentity(installation=installation, user=user, initiatives=initiatives)


def dashboard_login_record(*, identity: DashboardIdentity) -> None:
    audit_event_record(
        actor=user_actor(identity.user),
        action="coordinator.dashboard_login",
        subject_type="installation",
        subject_id=str(identity.installation.pk),
        data={"initiative_ids": [initiative.pk for initiative in identity.initiatives]},
    )
