from django.contrib import admin

from shop_extensions.payouts.models import ConnectedAccount, Payout, PayoutPolicy, PayoutRun, StripeEvent


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(admin.ModelAdmin):
    list_display = ("maker", "stripe_account_id", "status", "transfers_active", "payouts_enabled")
    list_filter = ("status",)
    readonly_fields = [f.name for f in ConnectedAccount._meta.fields]


@admin.register(PayoutPolicy)
class PayoutPolicyAdmin(admin.ModelAdmin):
    list_display = ("initiative", "mode", "hold_days", "minimum_amount", "run_day", "auto_approve")


@admin.register(PayoutRun)
class PayoutRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "initiative", "kind", "month", "created_at", "finished_at")
    readonly_fields = [f.name for f in PayoutRun._meta.fields]


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    """Read-only: payouts change state through the services only (ledger entries go with them)."""

    list_display = ("pk", "maker", "amount", "currency", "state", "transfer_id", "created_at")
    list_filter = ("state",)
    readonly_fields = [f.name for f in Payout._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "endpoint", "status", "received_at")
    list_filter = ("status", "type")
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
