from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from actito_admin.audit.retention import audit_purge


class Command(BaseCommand):
    help = (
        "Archive (gzip JSON Lines under DATA_DIR/audit-archive) and then remove audit events "
        "older than the retention period, recording the purge in the log."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"days to keep (default: AUDIT_RETENTION_DAYS, {settings.AUDIT_RETENTION_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="only say what would go")

    def handle(self, *args: Any, days: int | None, dry_run: bool, **options: Any) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be zero or more")
        result = audit_purge(days=days, dry_run=dry_run)
        when = f"older than {result.cutoff:%Y-%m-%d %H:%M} UTC"
        if result.dry_run:
            self.stdout.write(f"Dry run: {result.count} events {when} would be archived, removed.")
        elif result.archive is None:
            self.stdout.write(f"Nothing to purge: no events {when}.")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Archived {result.count} events {when} to {result.archive} and removed them."
                )
            )
