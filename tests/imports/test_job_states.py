"""ImportJob's state changes: each step is taken only from where it makes sense."""

from __future__ import annotations

import pytest
from django.utils import timezone

from actito_admin.imports import tasks
from actito_admin.imports.models import ImportJob, TransitionNotAllowed

pytestmark = pytest.mark.django_db


def _job(marketer, status: str) -> ImportJob:
    return ImportJob.objects.create(
        requested_by=marketer, original_name="a.csv", stored_name="a", status=status
    )


def test_a_sent_import_cannot_be_sent_back_to_the_mapping_step(marketer):
    job = _job(marketer, ImportJob.Status.IN_PROGRESS)
    with pytest.raises(TransitionNotAllowed):
        job.forget_check()
    assert job.status == ImportJob.Status.IN_PROGRESS


def test_an_import_still_being_checked_cannot_be_marked_sent(marketer):
    job = _job(marketer, ImportJob.Status.CHECKING)
    with pytest.raises(TransitionNotAllowed):
        job.sent(execution_id="1", at=timezone.now(), next_poll_at=timezone.now())


def test_a_finished_import_cannot_finish_twice(marketer):
    job = _job(marketer, ImportJob.Status.FINISHED)
    with pytest.raises(TransitionNotAllowed):
        job.ended(failure="", at=timezone.now())


def test_a_check_delivered_twice_runs_once_because_the_worker_claims_it(marketer, monkeypatch):
    job = _job(marketer, ImportJob.Status.VALIDATING)
    ran: list[str] = []
    monkeypatch.setattr(
        "actito_admin.imports.services.import_job_validate_perform",
        lambda *, job: ran.append(job.status),
    )
    tasks.import_job_validate(job.pk)
    tasks.import_job_validate(job.pk)
    assert ran == ["checking"], "the dry run ran again for a redelivered task"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CHECKING
