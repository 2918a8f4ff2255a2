from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "shop_extensions.portal"
    label = "portal"
