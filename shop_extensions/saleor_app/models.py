from __future__ import annotations

from typing import Any

from django.db import models

from shop_extensions.core import crypto


class Installation(models.Model):
    """One Saleor instance that installed the app. The token is stored encrypted (FIELD_ENCRYPTION_KEYS)."""

    api_url = models.CharField(max_length=500, unique=True)
    domain = models.CharField(max_length=255, blank=True)
    app_id = models.CharField(max_length=255)
    token_encrypted = models.TextField()
    jwks = models.JSONField(default=dict)
    jwks_fetched_at = models.DateTimeField()
    schema_version = models.CharField(max_length=20, blank=True)
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivated_reason = models.CharField(max_length=500, blank=True)
    installed_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.api_url

    def __repr__(self) -> str:  # never show the token, encrypted or not
        return f"<Installation {self.pk} {self.api_url} active={self.is_active}>"

    @property
    def token(self) -> str:
        return crypto.decrypt(self.token_encrypted)


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"


class WebhookDelivery(models.Model):
    """The inbox: every accepted Saleor webhook, stored before it is processed. Unique per installation and
    event key, so Saleor's retries and duplicate deliveries land on the same row."""

    installation = models.ForeignKey(Installation, on_delete=models.PROTECT, related_name="deliveries")
    event = models.CharField(max_length=64)
    event_key = models.CharField(max_length=300)
    body = models.BinaryField()
    body_sha256 = models.CharField(max_length=64)
    issued_at = models.DateTimeField(null=True, blank=True)
    subject_id = models.CharField(
        max_length=255, blank=True, help_text="the order or variant the event is about"
    )
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["installation", "event_key"], name="delivery_unique_per_installation"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=[s.value for s in DeliveryStatus]), name="delivery_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                name="delivery_pending_idx",
                condition=models.Q(status="received"),
            ),
            models.Index(fields=["subject_id"], name="delivery_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.subject_id} ({self.status})"

    def payload(self) -> Any:
        from shop_extensions.saleor_app.payloads import parse_json

        return parse_json(bytes(self.body))
