"""The e-mail to whoever started a list of scenario starts, when the list ends."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from actito_admin.accounts.notify import work_ended

from .models import TriggerRun


def tell_requester(run: TriggerRun, counts: dict[str, int], outcome: str) -> None:
    """A list took a while: say how it went, by e-mail, to who started it."""
    label = run.scenario_label
    subjects = {
        "success": _("«%(scenario)s» was started for everyone in your list"),
        "partial": _("«%(scenario)s»: your list is partly done"),
        "unknown": _("«%(scenario)s»: some outcomes of your list are unknown"),
        "failure": _("«%(scenario)s»: your list could not be started"),
    }
    lines = [
        _(
            "Started: %(succeeded)s · failed: %(failed)s · outcome unknown: %(unknown)s · "
            "not started (cancelled): %(cancelled)s, of %(total)s."
        )
        % {**counts, "total": run.total},
    ]
    if counts["unknown"]:
        lines.append(_("For the unknown ones, check in the platform before starting them again."))
    work_ended(
        user=run.requested_by,
        subject=subjects.get(outcome, subjects["failure"]) % {"scenario": label},
        lines=lines,
        path=reverse("scenarios:run", args=[run.pk]),
        started_at=run.started_at or run.created_at,
        ended_at=run.finished_at,
    )
