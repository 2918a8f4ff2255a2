from django.urls import path

from shop_extensions.saleor_app import views

urlpatterns = [
    path("api/manifest", views.manifest, name="saleor-manifest"),
    path("api/register", views.register, name="saleor-register"),
    path("api/webhooks/<slug:slug>", views.webhook, name="saleor-webhook"),
    path("api/logo.svg", views.logo, name="saleor-logo"),
    path("app/", views.coordinator_home, name="coordinator-home"),
]
