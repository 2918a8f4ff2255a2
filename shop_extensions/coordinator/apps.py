from django.apps import AppConfig


class CoordinatorConfig(AppConfig):
    name = "shop_extensions.coordinator"
    label = "coordinator"
    verbose_name = "Coordinator workspace"
