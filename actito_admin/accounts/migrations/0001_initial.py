from django.contrib.auth.management import create_permissions
from django.db import migrations, models

ROLE_PERMISSIONS = {
    "Viewer": ["accounts.view_console"],
    "Marketer": ["accounts.view_console", "accounts.trigger_scenarios", "accounts.run_imports"],
    "Admin": [
        "accounts.view_console",
        "accounts.trigger_scenarios",
        "accounts.run_imports",
        "accounts.manage_connection",
        "accounts.manage_users",
        "accounts.export_audit",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="ConsolePermission",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                )
            ],
            options={
                "managed": False,
                "default_permissions": (),
                "permissions": [
                    ("view_console", "Can use the console (see scenarios, imports, audit log)"),
                    ("trigger_scenarios", "Can trigger scenarios"),
                    ("run_imports", "Can run imports and download their files"),
                    ("manage_connection", "Can change the ACTITO connection settings"),
                    ("manage_users", "Can manage users and their roles"),
                    ("export_audit", "Can export the audit log"),
                ],
            },
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
