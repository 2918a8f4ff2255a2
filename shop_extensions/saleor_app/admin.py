from django.contrib import admin

from shop_extensions.saleor_app.models import Installation, WebhookDelivery


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):
    list_display = ["api_url", "app_id", "is_active", "installed_at", "deactivated_reason"]
    exclude = ["token_encrypted"]
    readonly_fields = [
        "api_url",
        "domain",
        "app_id",
        "jwks",
        "jwks_fetched_at",
        "schema_version",
        "installed_at",
    ]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["received_at", "event", "subject_id", "status", "attempts"]
    list_filter = ["status", "event"]
    exclude = ["body"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields if f.name != "body"]
