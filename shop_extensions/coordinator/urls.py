from django.urls import path

from shop_extensions.coordinator.views import auth, catalogue, makers, money, sales

app_name = "coordinator"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("initiative/", auth.initiative_switch, name="initiative-switch"),
    path("dashboard/session/", auth.dashboard_session, name="dashboard-session"),
    path("makers/", makers.maker_list, name="makers"),
    path("makers/new/", makers.maker_create, name="maker-create"),
    path("makers/<int:maker_id>/", makers.maker_detail, name="maker"),
    path("makers/<int:maker_id>/edit/", makers.maker_edit, name="maker-edit"),
    path("makers/<int:maker_id>/situation/", makers.maker_situation, name="maker-situation"),
    path("products/", catalogue.product_list, name="products"),
    path("products/shares/", catalogue.product_rule, name="product-rule"),
    path("lots/", catalogue.lot_list, name="lots"),
    path("lots/new/", catalogue.lot_create, name="lot-create"),
    path("lots/<int:lot_id>/correct/", catalogue.lot_correct, name="lot-correct"),
    path("lots/<int:lot_id>/check/", catalogue.lot_resolve, name="lot-resolve"),
    path("unattributed/", sales.unattributed_list, name="unattributed"),
    path("unattributed/<int:allocation_id>/", sales.unattributed_resolve, name="unattributed-resolve"),
    path("positions/", sales.position_list, name="positions"),
    path("audit/", sales.audit_list, name="audit"),
    path("payouts/", money.payout_list, name="payouts"),
    path("payouts/runs/", money.payout_run_start, name="payout-run-start"),
    path("payouts/runs/<int:run_id>/approve/", money.payout_run_approve, name="payout-run-approve"),
    path("payouts/<int:payout_id>/<slug:action>/", money.payout_action, name="payout-action"),
    path("statements/", money.statement_list, name="statements"),
    path("statements/generate/", money.statement_generate, name="statement-generate"),
    path("statements/zip/", money.statement_zip, name="statement-zip"),
    path(
        "statements/makers/<int:maker_id>/regenerate/",
        money.statement_regenerate,
        name="statement-regenerate",
    ),
]
