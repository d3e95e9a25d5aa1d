from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "actito_admin.scenarios"
    label = "scenarios"
    verbose_name = "Scenarios"
