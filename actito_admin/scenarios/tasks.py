"""Background work (django-q2 passes ids, never objects). Each task claims its work first, so a
redelivered or duplicated task does nothing harmful."""

from __future__ import annotations

from actito_admin.accounts.language import in_language_of

from . import services
from .models import Catalog, TriggerRun


def catalog_refresh_run(catalog_id: int) -> None:
    if (
        Catalog.objects.filter(pk=catalog_id, status=Catalog.Status.QUEUED).update(
            status=Catalog.Status.RUNNING
        )
        != 1
    ):
        return
    services.catalog_refresh_perform(catalog=Catalog.objects.get(pk=catalog_id))


def trigger_run_task(run_id: int) -> None:
    if services.trigger_run_claim(run_id=run_id):
        claimed = TriggerRun.objects.select_related("requested_by").get(pk=run_id)
        # Outcome messages and the e-mail at the end are for whoever started it.
        with in_language_of(claimed.requested_by):
            services.trigger_run_process(run_id=run_id)
        return
    # Not queued: done, paused, cancelled, or "running". A running run is never sent again from
    # here; if its worker died (no heartbeat), its item in flight becomes "outcome unknown" and
    # the rest is queued again.
    run = TriggerRun.objects.filter(pk=run_id).first()
    if run is not None and run.status in (TriggerRun.Status.RUNNING, TriggerRun.Status.WAITING):
        services.trigger_runs_recover(run_id=run_id)


def trigger_runs_recover(stale_after: float | None = None) -> int:
    """Scheduled every minute: picks up runs whose worker died or whose task was lost."""
    return services.trigger_runs_recover(stale_after=stale_after)
