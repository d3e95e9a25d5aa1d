from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class ActitoConfig(AppConfig):
    name = "actito_admin.actito"
    label = "actito"
    verbose_name = _("ACTITO connection")

    def ready(self) -> None:
        checks.register(field_encryption_key_is_strong, checks.Tags.security)


MIN_FIELD_ENCRYPTION_KEY = 32


def field_encryption_key_is_strong(**kwargs: object) -> list[checks.CheckMessage]:
    from django.conf import settings

    key = settings.FIELD_ENCRYPTION_KEY
    if key and len(key) < MIN_FIELD_ENCRYPTION_KEY:
        return [
            checks.Error(
                f"FIELD_ENCRYPTION_KEY is {len(key)} characters long; use at least "
                f"{MIN_FIELD_ENCRYPTION_KEY} random characters (it protects the stored API keys).",
                id="actito_admin.E001",
            )
        ]
    return []
