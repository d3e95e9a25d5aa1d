from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "actito_admin.imports"
    label = "imports"
    verbose_name = "Imports"
