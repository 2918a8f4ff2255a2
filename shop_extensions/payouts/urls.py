from django.urls import path

from shop_extensions.payouts import views

app_name = "payouts"

urlpatterns = [
    path("stripe/webhook", views.stripe_webhook, name="stripe_webhook"),
    path("stripe/connect-webhook", views.stripe_connect_webhook, name="stripe_connect_webhook"),
    path("onboarding/", views.maker_onboarding, name="maker_onboarding"),
    path("onboarding/return/", views.maker_onboarding_return, name="maker_onboarding_return"),
    path("onboarding/maker/<int:maker_id>/", views.coordinator_onboarding, name="coordinator_onboarding"),
    path(
        "onboarding/maker/<int:maker_id>/return/",
        views.coordinator_onboarding_return,
        name="coordinator_onboarding_return",
    ),
]
