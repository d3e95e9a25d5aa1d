from django.apps import AppConfig


class EcdpConfig(AppConfig):
    name = "actito_admin.ecdp"
    label = "ecdp"
    verbose_name = "ExpertSender CDP"
