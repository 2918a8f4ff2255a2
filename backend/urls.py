from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from shop_extensions.core.access import Audience, access
from shop_extensions.core.health import health

urlpatterns = [
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    # Django's language switch (POST + CSRF), used by the form in core/base.html on every page.
    path("i18n/setlang/", access(Audience.PUBLIC)(set_language), name="set_language"),
    path("portal/", include("shop_extensions.portal.urls")),
    path("coordinator/", include("shop_extensions.coordinator.urls", namespace="coordinator")),
    path("statements/", include("shop_extensions.statements.urls")),
    path("payouts/", include("shop_extensions.payouts.urls")),
    path("", include("shop_extensions.saleor_app.urls")),
]
