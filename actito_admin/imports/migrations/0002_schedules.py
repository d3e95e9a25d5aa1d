"""Poll running imports every minute and delete old files daily (idempotent: by name)."""

from django.db import migrations

SCHEDULES = {
    "imports_poll": {
        "func": "actito_admin.imports.tasks.import_jobs_poll",
        "schedule_type": "I",  # Schedule.MINUTES
        "minutes": 1,
        "repeats": -1,
    },
    "imports_files_purge": {
        "func": "actito_admin.imports.tasks.import_files_purge",
        "schedule_type": "D",  # Schedule.DAILY
        "repeats": -1,
    },
}


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, fields in SCHEDULES.items():
        Schedule.objects.update_or_create(name=name, defaults=fields)


def remove_schedules(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name__in=SCHEDULES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("imports", "0001_initial"),
        ("django_q", "__latest__"),
    ]
    operations = [migrations.RunPython(create_schedules, remove_schedules)]
