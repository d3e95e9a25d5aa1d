from collections.abc import Iterable

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


def table_names_for_actito_id(value: str) -> Iterable[str]:
    """The catalogue's names of the table ACTITO knows by id `value` (the audit Table filter)."""
    from .models import ProfileTable

    return ProfileTable.objects.filter(actito_id=value).values_list("name", flat=True)


class ScenariosConfig(AppConfig):
    name = "actito_admin.scenarios"
    label = "scenarios"
    verbose_name = gettext_lazy("Scenarios")

    def ready(self) -> None:
        from actito_admin.audit.models import TABLE_NAME_LOOKUPS

        if table_names_for_actito_id not in TABLE_NAME_LOOKUPS:
            TABLE_NAME_LOOKUPS.append(table_names_for_actito_id)
