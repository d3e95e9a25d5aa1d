from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "actito_admin.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login audit receivers)
        from .roles import ensure_roles

        # After this app's permissions exist (auth comes earlier in INSTALLED_APPS).
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="actito_admin.ensure_roles")
