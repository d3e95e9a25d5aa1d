from django.db import migrations

from actito_admin.audit import search


def forward(apps, schema_editor):
    search.create_index(schema_editor)


def backward(apps, schema_editor):
    search.drop_index(schema_editor)


class Migration(migrations.Migration):
    # Creating the index concurrently is not possible inside a migration's transaction; on a
    # large log, expect this step to take a while (about a minute per million events).
    dependencies = [("audit", "0005_scenario_and_table_refs")]
    operations = [migrations.RunPython(forward, backward)]
