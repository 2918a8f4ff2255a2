from django.urls import path

from shop_extensions.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_start, name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("sales/", views.sales, name="sales"),
    path("payouts/", views.payouts, name="payouts"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:statement_id>/share/", views.statement_share, name="statement_share"),
    path(
        "statements/shares/<int:share_id>/revoke/",
        views.statement_share_revoke,
        name="statement_share_revoke",
    ),
    path("my-data/", views.my_data, name="my_data"),
    path("my-data/export.json", views.my_data_export, name="my_data_export"),
    path("my-data/delete/", views.my_data_delete, name="my_data_delete"),
]
