"""Create or update the demo admin login that `make run` prints."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand

from actito_admin.accounts.roles import ADMIN

DEFAULT_DEMO_USERNAME = "demo"
DEFAULT_DEMO_PASSWORD = "actito-demo"


class Command(BaseCommand):
    help = "Create or update the demo admin login (DEMO_USERNAME / DEMO_PASSWORD)."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DEMO_USERNAME", DEFAULT_DEMO_USERNAME)
        password = os.environ.get("DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "email": "demo@example.com"}
        )
        user.set_password(password)
        # Staff so the Django admin (user management) opens for the demo admin too.
        user.is_staff = True
        user.is_active = True
        user.save()
        user.groups.add(Group.objects.get(name=ADMIN))
        verb = "Created" if created else "Updated"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} demo login — username: {username}  password: {password}")
        )
