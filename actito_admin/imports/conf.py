"""Settings of the imports feature, with their defaults (override any of them in settings.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .csvfile import Limits, MiB


@dataclass(frozen=True)
class PollPolicy:
    """Spec §7.7: every `fast_seconds` during the first `fast_phase_seconds`, then every
    `slow_seconds`; after `give_up_seconds` the outcome is marked unknown."""

    fast_seconds: float = 15.0
    fast_phase_seconds: float = 120.0
    slow_seconds: float = 60.0
    give_up_seconds: float = 24 * 3600.0

    def interval(self, elapsed: float) -> float:
        return self.fast_seconds if elapsed < self.fast_phase_seconds else self.slow_seconds


def poll_policy() -> PollPolicy:
    return PollPolicy(
        fast_seconds=float(getattr(settings, "IMPORT_POLL_FAST_SECONDS", 15.0)),
        fast_phase_seconds=float(getattr(settings, "IMPORT_POLL_FAST_PHASE_SECONDS", 120.0)),
        slow_seconds=float(getattr(settings, "IMPORT_POLL_SLOW_SECONDS", 60.0)),
        give_up_seconds=float(getattr(settings, "IMPORT_POLL_GIVE_UP_SECONDS", 24 * 3600.0)),
    )


def poller_window_seconds() -> float:
    """How long one poller task keeps polling before it hands over to the next scheduled run
    (kept under a minute so a worker is never tied up for long)."""
    return float(getattr(settings, "IMPORT_POLLER_WINDOW_SECONDS", 55.0))


def table_cache_seconds() -> int:
    """How long the list of profile tables read from ACTITO is reused (read-through cache)."""
    return int(getattr(settings, "IMPORT_TABLE_CACHE_SECONDS", 300))


def retention_days() -> int:
    return int(getattr(settings, "UPLOAD_RETENTION_DAYS", 30))


def max_import_bytes() -> int:
    """The most ACTITO accepts for one import file, after compression."""
    return int(settings.ACTITO_MAX_IMPORT_MB) * MiB


def file_limits() -> Limits:
    """Reading limits for uploads, with ACTITO's size limit on what it receives."""
    return Limits(max_compressed_bytes=max_import_bytes())
