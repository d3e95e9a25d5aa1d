"""Run the retention purge daily through django-q2 (idempotent: one schedule, found by name)."""

from django.db import migrations

SCHEDULE_NAME = "audit_purge"


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "func": "actito_admin.audit.tasks.audit_purge_daily",
            "schedule_type": "D",  # Schedule.DAILY
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_hash_chain_and_review_indexes"),
        ("django_q", "__latest__"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
