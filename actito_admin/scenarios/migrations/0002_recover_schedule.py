"""Pick up trigger runs whose worker died, every minute (idempotent: one schedule, by name)."""

from django.db import migrations

SCHEDULE_NAME = "scenario_runs_recover"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "actito_admin.scenarios.tasks.trigger_runs_recover",
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scenarios", "0001_initial"),
        ("django_q", "__latest__"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
