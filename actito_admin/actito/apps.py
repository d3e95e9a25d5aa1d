from django.apps import AppConfig


class ActitoConfig(AppConfig):
    name = "actito_admin.actito"
    label = "actito"
    verbose_name = "ACTITO connection"
