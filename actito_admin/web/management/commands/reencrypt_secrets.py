"""Re-encrypt every stored API key with the current FIELD_ENCRYPTION_KEY.

Keys stored before FIELD_ENCRYPTION_KEY was set are encrypted with a key derived from SECRET_KEY;
after this command none is, and SECRET_KEY can be changed without losing them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from actito_admin.actito.connection import rotate_secret
from actito_admin.actito.models import Connection
from actito_admin.ecdp.models import BusinessUnit


class Command(BaseCommand):
    help = "Re-encrypt the stored API keys with FIELD_ENCRYPTION_KEY (before rotating SECRET_KEY)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.FIELD_ENCRYPTION_KEY:
            raise CommandError(
                "Set FIELD_ENCRYPTION_KEY first: without it the keys stay tied to SECRET_KEY."
            )
        done = 0
        with transaction.atomic():
            for model in (Connection, BusinessUnit):
                for row in model.objects.select_for_update().exclude(api_key_encrypted=""):
                    row.api_key_encrypted = rotate_secret(row.api_key_encrypted)
                    row.save(update_fields=["api_key_encrypted"])
                    done += 1
        self.stdout.write(f"{done} stored API key(s) re-encrypted with FIELD_ENCRYPTION_KEY.")
