from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "shop_extensions.ledger"
    label = "ledger"
