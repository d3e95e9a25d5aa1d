"""Background work for the connection page (django-q2 runs these with an id, never an object)."""

from __future__ import annotations

from .models import ConnectionCheck


def connection_check_run(check_id: int) -> None:
    # Claim the check, so that a redelivered task does nothing.
    claimed = ConnectionCheck.objects.filter(
        pk=check_id, status=ConnectionCheck.Status.QUEUED
    ).update(status=ConnectionCheck.Status.RUNNING)
    if claimed != 1:
        return
    from . import services

    services.connection_check_perform(check=ConnectionCheck.objects.get(pk=check_id))
