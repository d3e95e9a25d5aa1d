from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "actito_admin.imports"
    label = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from . import audit_sentences  # noqa: F401 - registers the sentences
