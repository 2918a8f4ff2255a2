from django.contrib import admin

from shop_extensions.statements.models import Statement, StatementRun, StatementSettings


@admin.register(StatementSettings)
class StatementSettingsAdmin(admin.ModelAdmin):
    list_display = ["initiative", "income_nature", "signatory"]


@admin.register(Statement)
class StatementAdmin(admin.ModelAdmin):
    """Read-only: an issued statement never changes."""

    list_display = ["maker", "month", "version", "code", "issued_at", "issued_by"]
    list_filter = ["month"]
    search_fields = ["code", "pdf_sha256"]
    exclude = ["data"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(StatementRun)
class StatementRunAdmin(admin.ModelAdmin):
    list_display = ["initiative", "month", "trigger", "actor", "created_at"]
    list_filter = ["trigger", "month"]
