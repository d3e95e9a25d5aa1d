"""Delete import files older than UPLOAD_RETENTION_DAYS (also scheduled daily in django-q2)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from actito_admin.imports import conf
from actito_admin.imports.files import import_files_purge


class Command(BaseCommand):
    help = "Delete uploaded, prepared and result files of imports older than the retention."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep files this many days (default: UPLOAD_RETENTION_DAYS, "
            f"{conf.retention_days()}).",
        )

    def handle(self, *args: Any, days: int | None = None, **options: Any) -> None:
        removed = import_files_purge(older_than_days=days)
        self.stdout.write(f"{removed} import file{'s' if removed != 1 else ''} deleted.")
