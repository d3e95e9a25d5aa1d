"""An import ends as what it is: done, partly refused or all refused — on its page, in the lists,
on the home card and in the audit log — and its mapping is remembered only when it ended well.

Against the sandbox over HTTP; the background steps run in-process (see _web.py)."""

from __future__ import annotations

import pytest

from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from actito_admin.imports.models import ImportJob, MappingTemplate
from tests.imports.web._web import (
    choose_demodoc,
    mapping_post,
    run_send_and_follow,
    run_validation,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]

GOOD = b"email;name\r\nzoe@example.com;Zoe\r\nrene@example.com;Rene\r\nann@example.com;Ann\r\n"
# ACTITO refuses an address that is not one; sent anyway when "leave rows out" is unticked.
ONE_BAD = GOOD + b"not-an-email;Bad\r\n"
ALL_BAD = b"email;name\r\nzoe-at-example;Zoe\r\nrene@;Rene\r\n"


def _sent(client, data: bytes, *, name: str = "people.csv", **post: str) -> ImportJob:
    job = choose_demodoc(client, uploaded_job(client, name, data))
    response = client.post(f"/imports/{job.pk}/validate/", mapping_post(job, **post))
    assert response.status_code == 200, response.content.decode()[:2000]
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert job.can_submit, job.report
    client.post(f"/imports/{job.pk}/submit/")
    return run_send_and_follow(job)


def _end_event(job: ImportJob) -> AuditEvent:
    return AuditEvent.objects.filter(
        target_id=str(job.pk), action__in=["import.finished", "import.refused", "import.failed"]
    ).get()


def _sends_invalid_rows() -> dict[str, str]:
    return {"leave_out_invalid": ""}


def _refused_by_actito(client) -> ImportJob:
    """What no dry run can foresee: "create only" for people ACTITO already has (each row is
    refused with RECORD_ALREADY_EXISTS)."""
    _sent(client, GOOD, name="first.csv", save_template="")
    return _sent(client, GOOD, name="refused.csv", mode="CREATE_ONLY")


def test_an_import_whose_every_row_actito_refused_is_shown_and_audited_as_refused(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    job = _refused_by_actito(client_as_marketer)

    assert job.status == ImportJob.Status.REFUSED, (job.status, job.counts, job.failure)
    assert job.counts["errors"] == 3 and job.accepted_rows == 0

    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "ACTITO refused all 3 rows of the file." in page, "the page must say every row failed"
    assert "Nothing was added or changed." in page
    assert "import-finished" not in page and ">Done<" not in page, "never a green Done"

    listing = client_as_marketer.get("/imports/").content.decode()
    assert "All rows refused" in listing and "import-refused" in listing
    assert "All rows refused" in client_as_marketer.get("/").content.decode(), "home card"
    assert not MappingTemplate.objects.exists()

    event = _end_event(job)
    assert event.action == "import.refused"
    assert event.outcome == AuditEvent.Outcome.FAILURE, "the audit log must not say Succeeded"
    assert "refused every row" in describe(event)


def test_an_import_with_some_rows_refused_says_how_many_of_how_many(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    job = _sent(client_as_marketer, ONE_BAD, **_sends_invalid_rows())

    assert job.status == ImportJob.Status.PARTLY_REFUSED, (job.status, job.counts)
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "ACTITO refused 1 of 4 rows." in page
    listing = client_as_marketer.get("/imports/").content.decode()
    assert "Partly refused" in listing and "1 of 4 refused" in listing

    event = _end_event(job)
    assert event.outcome == AuditEvent.Outcome.PARTIAL
    assert "partly refused" in describe(event) and "1 of 4 refused" in describe(event)
    # A quarter of the rows refused: the mapping is not worth keeping as it is.
    assert not MappingTemplate.objects.exists()


def test_a_clean_import_is_done_and_only_then_remembers_its_mapping(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "good.csv", GOOD))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert not MappingTemplate.objects.exists(), "checking a file must not save its mapping"

    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    job = run_send_and_follow(job)
    assert job.status == ImportJob.Status.FINISHED
    assert _end_event(job).outcome == AuditEvent.Outcome.SUCCESS
    template = MappingTemplate.objects.get()
    assert template.updated_by is not None and template.table_name == "demodoc"
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "Done." in page and "The mapping was remembered" in page
    saved = AuditEvent.objects.get(action="import.template_saved")
    assert saved.actor_username == job.submitted_by.get_username()


def test_a_mapping_that_made_actito_refuse_every_row_does_not_come_back(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    job = _refused_by_actito(client_as_marketer)
    assert job.remember_mapping and not job.mapping_remembered
    assert "The mapping was not remembered" in (
        client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    )

    again = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "again.csv", GOOD))
    page = client_as_marketer.get(f"/imports/{again.pk}/").content.decode()
    assert "was applied" not in page, "a refused mapping came back as a saved one"


def test_remember_is_ticked_by_default_and_says_when_it_saves(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "good.csv", GOOD))
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert 'name="save_template"' in page
    tick = (
        page.split('name="save_template"')[0].rsplit("<input", 1)[1]
        + page.split('name="save_template"')[1].split(">", 1)[0]
    )
    assert "checked" in tick, "Remember this mapping must be ticked by default"
    assert "saved once ACTITO has imported the file" in page


def test_a_checked_file_without_a_valid_row_is_listed_as_nothing_to_send(
    client_as_marketer, sandbox
):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "bad.csv", ALL_BAD))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(ImportJob.objects.get(pk=job.pk))
    assert job.status == ImportJob.Status.VALIDATED and not job.can_submit

    rows = client_as_marketer.get("/imports/").content.decode().split("<tbody>", 1)[1]
    assert "Nothing to send" in rows
    assert "Checked, ready to send" not in rows


def test_the_audit_detail_of_each_import_event_shows_the_ids_it_recorded(
    client_as_marketer, sandbox, settings, admin_user, client
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    done = _sent(client_as_marketer, GOOD, name="first.csv")
    refused = _sent(client_as_marketer, GOOD, name="again.csv", mode="CREATE_ONLY")
    client.force_login(admin_user)
    for job in (done, refused):
        for action in ("import.submitted", "import.finished", "import.refused"):
            event = AuditEvent.objects.filter(action=action, target_id=str(job.pk)).first()
            if event is None or "execution_id" not in event.data:
                continue
            page = client.get(f"/audit/{event.pk}/").content.decode()
            assert f'data-id="execution_id">{job.execution_id}<' in page, (
                f"{action}: the ACTITO execution id recorded is not shown"
            )
    saved = AuditEvent.objects.get(action="import.template_saved")
    page = client.get(f"/audit/{saved.pk}/").content.decode()
    assert f'data-id="import_id">{done.pk}<' in page
    ends = AuditEvent.objects.filter(action__in=["import.finished", "import.refused"])
    assert ends.count() == 2
