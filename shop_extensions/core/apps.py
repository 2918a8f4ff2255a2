from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shop_extensions.core"
    label = "core"
