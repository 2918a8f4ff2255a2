from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "shop_extensions.payouts"
    label = "payouts"
