from django.apps import AppConfig


class SaleorAppConfig(AppConfig):
    name = "shop_extensions.saleor_app"
    label = "saleor_app"
    verbose_name = "Saleor App"
