from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shop_extensions.catalog"
    label = "catalog"
