from django.contrib import admin
from django.urls import include, path

from shop_extensions.core.health import health

urlpatterns = [
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("shop_extensions.saleor_app.urls")),
]
