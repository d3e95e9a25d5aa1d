from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from actito_admin.audit.chain import verify_chain


class Command(BaseCommand):
    help = "Check the audit log's hash chain end to end; exit 1 and name the first broken link."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--chunk-size", type=int, default=5000)

    def handle(self, *args: Any, chunk_size: int, **options: Any) -> None:
        started = time.monotonic()
        result = verify_chain(chunk_size=chunk_size)
        elapsed = time.monotonic() - started
        if not result.ok:
            raise CommandError(
                f"Audit log chain is BROKEN at {result.broken} "
                f"({result.checked} events before it are intact).",
                returncode=1,
            )
        start = f"anchor {result.anchor[:16]}…" if result.anchor else "the start of the log"
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit log chain intact: {result.checked} events "
                f"(#{result.first_id}…#{result.last_id}) from {start}, checked in {elapsed:.1f}s."
            )
        )
