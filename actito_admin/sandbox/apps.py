from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "actito_admin.sandbox"
    label = "sandbox"
    verbose_name = "ACTITO sandbox"
