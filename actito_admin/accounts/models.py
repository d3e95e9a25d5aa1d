from django.db import models


class ConsolePermission(models.Model):
    """Holds the console's own permissions; no table. Roles (groups) are built from these."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_console", "Can use the console (see scenarios, imports, audit log)"),
            ("trigger_scenarios", "Can trigger scenarios"),
            ("run_imports", "Can run imports and download their files"),
            ("manage_connection", "Can change the ACTITO connection settings"),
            ("manage_users", "Can manage users and their roles"),
            ("export_audit", "Can export the audit log"),
        ]

    def __str__(self) -> str:
        return "console permissions"
