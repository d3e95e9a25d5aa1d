from __future__ import annotations

from typing import Any

from django.conf import settings
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


class Preferences(models.Model):
    """One person's choices about the console itself (not about ACTITO)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    email_when_done = models.BooleanField(
        "E-mail me when my long work ends",
        default=True,
        help_text="When an import or a list of scenario starts you began ends (done, partly "
        "done, refused, failed or unknown) after more than a minute, you get an e-mail with "
        "the outcome and a link.",
    )

    # "" follows the browser; otherwise one of settings.LANGUAGES (accounts/language.py).
    language = models.CharField(
        "Language of the console",
        max_length=8,
        blank=True,
        default="",
        choices=settings.LANGUAGES,
    )

    def __str__(self) -> str:
        return f"preferences of {self.user}"

    @classmethod
    def of(cls, user: Any) -> Preferences:
        """The person's preferences; the defaults until they change something."""
        found = cls.objects.filter(user=user).first()
        return found if found is not None else cls(user=user)
