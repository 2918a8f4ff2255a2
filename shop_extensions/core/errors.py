"""One error hierarchy; interfaces map these to responses."""

from __future__ import annotations


class ApplicationError(Exception):
    """A failure the caller can understand and act on. ``message`` is safe to show."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ValidationFailed(ApplicationError):
    status_code = 400


class PermissionDenied(ApplicationError):
    status_code = 403


class NotFound(ApplicationError):
    status_code = 404


class TransientError(ApplicationError):
    """Trouble on our side or a dependency's; the caller should retry later."""

    status_code = 503
