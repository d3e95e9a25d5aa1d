from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The default configuration keeps its shared cache in the database; creating the table here
    # means a deployment never has to remember `createcachetable`.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
