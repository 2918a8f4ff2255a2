"""Login codes for the participant portal and makers' deletion requests."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class LoginCode(models.Model):
    """A one-time code sent by e-mail. Only its HMAC is stored. A request for an unknown address is kept
    too (``maker`` empty, nothing sent), so rate limits and answers are the same for every address."""

    email = models.EmailField()
    maker = models.ForeignKey("makers.Maker", on_delete=models.CASCADE, null=True, blank=True)
    code_hash = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"login code {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class LoginFailure(models.Model):
    """A wrong code entered: counted per address and per IP for the rate limits."""

    email = models.EmailField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["email", "created_at"]),
            models.Index(fields=["ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"login failure {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class DeletionRequest(models.Model):
    """A maker asked for their data to be deleted; the coordinator handles it (records the law requires
    the payer to keep, such as ledger entries and statements, stay)."""

    maker = models.ForeignKey("makers.Maker", on_delete=models.CASCADE, related_name="deletion_requests")
    requested_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["maker"], condition=Q(handled_at__isnull=True), name="deletion_request_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"deletion request of maker {self.maker_id}"
