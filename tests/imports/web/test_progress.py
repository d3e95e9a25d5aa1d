"""What the status box says while ACTITO works: time spent, never a made-up percentage."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from actito_admin.imports.models import ImportJob

pytestmark = pytest.mark.django_db


def _job(marketer, **fields) -> ImportJob:
    return ImportJob.objects.create(
        requested_by=marketer, original_name="people.csv", stored_name="x", **fields
    )


def _status_box(client, job: ImportJob) -> str:
    return client.get(f"/imports/{job.pk}/status/", HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize("minutes", [1, 40])
def test_while_actito_imports_the_bar_shows_time_spent_not_a_fixed_step(
    client_as_marketer, marketer, minutes
):
    job = _job(
        marketer,
        status=ImportJob.Status.IN_PROGRESS,
        execution_id="77",
        sent_at=timezone.now() - timedelta(minutes=minutes, seconds=5),
    )
    box = _status_box(client_as_marketer, job).replace("\xa0", " ")
    assert 'value="60"' not in box, "the bar claims 60 % whatever ACTITO is doing"
    assert f"{minutes} minute" in box, f"the time ACTITO has been working is not shown: {box}"


@pytest.mark.parametrize("status", ["queued", "uploading", "in_progress"])
def test_the_bar_is_indeterminate_until_actito_has_finished(client_as_marketer, marketer, status):
    job = _job(marketer, status=status, sent_at=timezone.now())
    box = _status_box(client_as_marketer, job)
    progress = box[box.index("<progress") : box.index("</progress>")]
    assert "value=" not in progress, f"a {status} import shows a made-up percentage: {progress}"


@pytest.mark.parametrize("status", ["finished", "failed", "unknown"])
def test_an_ended_import_shows_a_full_bar(client_as_marketer, marketer, status):
    job = _job(marketer, status=status, finished_at=timezone.now())
    assert 'value="100"' in _status_box(client_as_marketer, job)


@pytest.mark.parametrize("zone", ["Etc/GMT-14", "Etc/GMT+12"])
def test_a_send_without_a_recorded_quota_day_gives_back_the_utc_days_slot(marketer, zone):
    """The governor counts UTC days: whatever the server's zone, the slot is today's UTC one."""
    from actito_admin.imports.services import job_quota_slot

    job = _job(marketer, status=ImportJob.Status.UPLOADING, quota_slot="s1", table_id="1")
    before = os.environ.get("TZ")
    os.environ["TZ"] = zone
    time.tzset()
    try:
        day = job_quota_slot(job).day
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert day == datetime.now(UTC).date()
