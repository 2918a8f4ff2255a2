from django.apps import AppConfig


class MakersConfig(AppConfig):
    name = "shop_extensions.makers"
    label = "makers"
