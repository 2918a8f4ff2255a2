from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "shop_extensions.benefits"
    label = "benefits"
