from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "shop_extensions.statements"
    label = "statements"
    verbose_name = "Monthly income statements"
