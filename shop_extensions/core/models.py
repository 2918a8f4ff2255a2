from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models


class AuditEvent(models.Model):
    """Who did what to which record, written in the same transaction as the change. Never edited."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.CharField(max_length=200, help_text="user:<id>, saleor:<api url>, system:<job>")
    action = models.CharField(max_length=100)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.subject_type}:{self.subject_id}"


class WriteOnceError(RuntimeError):
    """A write-once row was to be updated or deleted."""


class WriteOnceQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise self.model.write_once_error(self.model.write_once_changed)

    def delete(self) -> NoReturn:
        raise self.model.write_once_error(self.model.write_once_deleted)


class WriteOnceModel(models.Model):
    """Rows written once and never updated or deleted, through the ORM (here) and in the database (each
    table's trigger). Subclasses name their error and say what to do instead."""

    write_once_error: ClassVar[type[WriteOnceError]] = WriteOnceError
    write_once_changed: ClassVar[str] = "this row never changes"
    write_once_deleted: ClassVar[str] = "this row is never deleted"

    objects = WriteOnceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise self.write_once_error(self.write_once_changed)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise self.write_once_error(self.write_once_deleted)
