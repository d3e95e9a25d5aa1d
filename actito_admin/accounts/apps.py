from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "actito_admin.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login audit receivers)
        from .roles import ensure_roles

        # After this app's permissions exist (auth comes earlier in INSTALLED_APPS).
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="actito_admin.ensure_roles")
        self._forget_permissions_on_role_changes()

    def _forget_permissions_on_role_changes(self) -> None:
        from django.contrib.auth.models import Group, Permission, User

        from .backends import forget_permissions

        uid = "actito_admin.forget_permissions"
        for through in (User.groups.through, User.user_permissions.through):
            m2m_changed.connect(forget_permissions, sender=through, dispatch_uid=f"{uid}.{through}")
        m2m_changed.connect(
            forget_permissions, sender=Group.permissions.through, dispatch_uid=f"{uid}.group"
        )
        for model in (User, Group, Permission):
            post_save.connect(forget_permissions, sender=model, dispatch_uid=f"{uid}.s.{model}")
            post_delete.connect(forget_permissions, sender=model, dispatch_uid=f"{uid}.d.{model}")
