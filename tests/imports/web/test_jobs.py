"""The import journey through views and services, against the sandbox over HTTP.

Background steps run in-process here (tasks called directly); tests/imports/test_e2e.py runs the
same journey in a browser with a real task cluster.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile

import pytest
from django.core.management import call_command

from actito_admin.actito.models import Connection
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from actito_admin.imports import following, tasks
from actito_admin.imports.csvfile import MiB
from actito_admin.imports.models import ImportJob, MappingTemplate
from tests.imports.test_limits import zip_of_repeated_text
from tests.imports.web._web import (
    DEMODOC,
    choose_demodoc,
    import_through,
    mapping_post,
    quota_used,
    run_send_and_follow,
    run_validation,
    semicolon_cp1252_bytes,
    upload,
    uploaded_job,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]


def _upload(client, name: str, data: bytes):
    return client.post("/imports/new/", {"file": upload(name, data)})


def _validated_job(client) -> ImportJob:
    job = choose_demodoc(client, uploaded_job(client))
    response = client.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    assert response.status_code == 200, response.content.decode()[:3000]
    return run_validation(ImportJob.objects.get(pk=job.pk))


# --- access --------------------------------------------------------------------------------------


def test_a_viewer_sees_the_imports_list_but_cannot_upload(client_as_viewer):
    assert client_as_viewer.get("/imports/").status_code == 200
    assert client_as_viewer.get("/imports/new/").status_code == 403
    assert client_as_viewer.post("/imports/new/", {}).status_code == 403


def test_the_imports_list_explains_itself_when_empty(client_as_marketer):
    page = client_as_marketer.get("/imports/").content.decode()
    assert "No file imported yet" in page
    assert "every table still has its full daily quota" in page


# --- upload and detection ------------------------------------------------------------------------


def test_a_semicolon_windows_1252_file_with_a_bom_is_read_correctly(client_as_marketer, sandbox):
    job = uploaded_job(client_as_marketer)
    assert (job.encoding, job.separator, job.had_bom) == ("cp1252-sig", ";", True)
    assert job.headers == ["E-mail", "Prénom", "Nom", "Langue"]
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "Zoë" in page and "(detected)" in page
    event = AuditEvent.objects.get(action="import.uploaded")
    assert event.data["file_name"] == "people.csv"
    assert "zoë" not in str(event.data)  # metadata only, never contents


def test_the_upload_is_kept_under_a_random_name_outside_static_files(client_as_marketer, settings):
    job = uploaded_job(client_as_marketer)
    stored = settings.UPLOAD_DIR / job.stored_name
    assert stored.exists() and "people" not in job.stored_name


def test_overriding_the_separator_updates_the_preview_in_place(client_as_marketer, sandbox):
    job = uploaded_job(client_as_marketer)
    response = client_as_marketer.post(
        f"/imports/{job.pk}/format/",
        {"encoding": "cp1252-sig", "separator": ",", "quotechar": '"'},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert 'id="workspace"' in response.content.decode()
    assert "<html" not in response.content.decode()
    job.refresh_from_db()
    assert job.separator == "," and len(job.headers) == 1
    assert "separator" not in job.detected


def test_a_wrong_encoding_override_says_what_to_do(client_as_marketer):
    job = uploaded_job(client_as_marketer)
    response = client_as_marketer.post(
        f"/imports/{job.pk}/format/", {"encoding": "utf-8", "separator": ";", "quotechar": '"'}
    )
    assert response.status_code == 422
    assert "Windows-1252" in response.content.decode()


AWKWARD_UPLOADS = [
    ("empty.csv", b"", "is empty"),
    ("header-only.csv", b"email;name\r\n", "no data rows"),
    ("report.pdf.csv", b"%PDF-1.4\n\x00\x01\x02binary", "PDF"),
    ("sheet.xlsx", b"PK\x03\x04whatever", "This Excel file cannot be read"),
    ("notes.docx", b"PK\x03\x04whatever", "not a CSV or Excel file"),
    ("dupes.csv", b"email,email\r\na@b.be,c@d.be\r\n", "more than once"),
    ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "gzip"),
    (
        "wide.csv",
        (";".join(f"c{i}" for i in range(400)) + "\n" + "x;" * 399 + "x\n").encode(),
        "at most 300",
    ),
    ("one-line.csv", b"a;" * 700_000, "one record per line"),
]


def _two_csv_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", "email\r\na@b.be\r\n")
        archive.writestr("b.csv", "email\r\nc@d.be\r\n")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "says"), AWKWARD_UPLOADS)
def test_an_awkward_upload_gets_a_clear_message_and_spends_no_quota(
    client_as_marketer, sandbox, settings, name, data, says
):
    before = sandbox.app.stats()["imports_today"]
    response = _upload(client_as_marketer, name, data)
    assert response.status_code == 422
    assert says.lower() in response.content.decode().lower()
    assert not ImportJob.objects.exists()
    kept = list(settings.UPLOAD_DIR.iterdir()) if settings.UPLOAD_DIR.exists() else []
    assert kept == []  # nothing kept
    assert sandbox.app.stats()["imports_today"] == before
    assert quota_used() == 0


def test_a_zip_with_two_csv_files_is_refused_in_plain_words(client_as_marketer):
    response = _upload(client_as_marketer, "two.zip", _two_csv_zip())
    assert response.status_code == 422
    assert "one" in response.content.decode().lower()
    assert not ImportJob.objects.exists()


def test_a_zip_bomb_is_refused_at_upload_and_nothing_is_kept(
    client_as_marketer, sandbox, settings, tmp_path
):
    bomb = tmp_path / "bomb.zip"
    zip_of_repeated_text(bomb, 300 * MiB)
    response = _upload(client_as_marketer, "customers.zip", bomb.read_bytes())
    assert response.status_code == 422, "a zip bomb must get the upload form back, not a 500"
    assert "zip" in response.content.decode().lower()
    assert not ImportJob.objects.exists()
    kept = list(settings.UPLOAD_DIR.iterdir()) if settings.UPLOAD_DIR.exists() else []
    assert kept == [], "nothing of a refused upload may stay on disk"
    assert quota_used() == 0 and sandbox.app.stats()["imports_today"] == {}


def _checked(client, name: str, data: bytes) -> ImportJob:
    """Upload, choose demodoc, keep the suggested mapping and run the whole-file check."""
    job = choose_demodoc(client, uploaded_job(client, name, data))
    client.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    return run_validation(ImportJob.objects.get(pk=job.pk))


def test_a_ragged_row_is_reported_with_its_line_and_never_sent(client_as_marketer, sandbox):
    data = b"email;firstName\r\nann@example.com;Ann\r\nbob@example.com;Bob;extra\r\n"
    job = _checked(client_as_marketer, "ragged.csv", data)
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert job.report["rows_invalid"] == 1, job.report
    assert [e["line"] for e in job.report["first_errors"]] == [3], job.report["first_errors"]
    assert "<td>3</td>" in page, "the marketer must see which line is wrong"
    assert job.prepared["rows_written"] == 1, "a ragged row is never part of the upload"
    assert quota_used() == 0 and sandbox.app.stats()["imports_today"] == {}


def test_quoted_separators_and_newlines_stay_inside_their_value(client_as_marketer, sandbox):
    text = 'email;lastName\r\n"ann@example.com";"Van; der\r\nBerg"\r\nbob@example.com;Bob\r\n'
    job = _checked(client_as_marketer, "quoted.csv", text.encode())
    assert job.headers == ["email", "lastName"]
    assert (job.report["rows_read"], job.report["rows_invalid"]) == (2, 0), job.report
    assert quota_used() == 0


def test_a_latin_1_semicolon_file_is_read_and_checked(client_as_marketer, sandbox):
    text = "email;firstName;lastName\r\nrene@example.com;René;Müller\r\n"
    job = _checked(client_as_marketer, "latin1.csv", text.encode("latin-1"))
    assert job.separator == ";" and job.encoding in ("cp1252", "latin-1"), job.encoding
    assert (job.report["rows_read"], job.report["rows_invalid"]) == (1, 0), job.report
    assert "René" in client_as_marketer.get(f"/imports/{job.pk}/").content.decode()


def test_a_file_still_too_large_after_compression_is_stopped_before_any_quota(
    client_as_marketer, sandbox, settings
):
    settings.ACTITO_MAX_IMPORT_MB = 1  # the same check as at 100 MB, on a file a test can make
    rows = "".join(
        f"{os.urandom(24).hex()}@example.com;{os.urandom(40).hex()}\r\n" for _ in range(20_000)
    )
    job = _checked(client_as_marketer, "big.csv", ("email;lastName\r\n" + rows).encode())
    assert job.status == ImportJob.Status.UPLOADED, "the check must stop, not offer to send"
    assert "ACTITO accepts" in job.problem, job.problem
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "No import was used." in page
    assert quota_used() == 0 and sandbox.app.stats()["imports_today"] == {}


def test_an_htmx_upload_redirects_the_browser_to_the_job(client_as_marketer):
    response = client_as_marketer.post(
        "/imports/new/", {"file": upload("p.csv", semicolon_cp1252_bytes())}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/imports/{ImportJob.objects.get().pk}/"


# --- table and mapping ---------------------------------------------------------------------------


def test_choosing_a_table_fills_the_mapping_with_confidence(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    assert job.table_name == "demodoc" and job.table_structure["id"] == DEMODOC
    targets = {m["header"]: m["target"] for m in job.mapping}
    assert targets == {
        "E-mail": "emailAddress",
        "Prénom": "firstName",
        "Nom": "lastName",
        "Langue": "motherLanguage",
    }
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "emailAddress (key, mandatory)" in page
    assert "Subscription Newsletter" in page and "Segmentation ClientType" in page


def test_a_mode_needing_a_key_cannot_be_checked_without_a_key_column(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    data = mapping_post(job, col0_target="", mode="UPDATE_ONLY")
    response = client_as_marketer.post(f"/imports/{job.pk}/validate/", data)
    assert response.status_code == 422
    assert "key field" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED


def test_a_saved_mapping_is_applied_when_the_same_headers_come_back(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    data = mapping_post(job, col3_target="", col2_target="lastName")  # Langue: don't import
    import_through(client_as_marketer, job, data)
    assert MappingTemplate.objects.count() == 1

    again = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "again.csv"))
    assert "Langue" not in {m["header"] for m in again.mapping}
    assert "mapping saved on" in client_as_marketer.get(f"/imports/{again.pk}/").content.decode()


def test_remembering_a_mapping_is_audited_only_when_it_changes(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    import_through(client_as_marketer, job, mapping_post(job))
    saved = AuditEvent.objects.filter(action="import.template_saved")
    assert saved.count() == 1 and saved.get().data["created"] is True
    assert "mark saved a mapping for table «demodoc»" in describe(saved.get())

    same = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "same.csv"))
    import_through(client_as_marketer, same, mapping_post(same))
    assert saved.count() == 1, "saving an unchanged mapping again is no news"

    other = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "other.csv"))
    import_through(client_as_marketer, other, mapping_post(other, col3_target=""))
    latest = saved.order_by("-id").first()
    assert saved.count() == 2 and latest.data["changed_columns"] == ["Langue"], latest.data


# --- validation ----------------------------------------------------------------------------------


def test_the_dry_run_counts_rows_lists_errors_and_spends_no_quota(client_as_marketer, sandbox):
    job = _validated_job(client_as_marketer)
    assert job.status == ImportJob.Status.VALIDATED
    assert (job.report["rows_read"], job.report["rows_valid"], job.report["rows_invalid"]) == (
        4,
        3,
        1,
    )
    assert job.prepared["rows_written"] == 3 and job.prepared["rows_left_out"] == 1
    assert quota_used() == 0 and sandbox.app.stats()["imports_today"] == {}
    page = client_as_marketer.get(f"/imports/{job.pk}/status/").content.decode()
    assert "not-an-email" in page
    assert "0 of 12 imports used today on demodoc" in page
    errors = client_as_marketer.get(f"/imports/{job.pk}/rows-with-errors.csv")
    assert b"not-an-email" in b"".join(errors.streaming_content)
    assert AuditEvent.objects.filter(action="import.file_downloaded").exists()


def test_a_file_unreadable_past_its_start_stops_the_check_with_a_message(
    client_as_marketer, sandbox
):
    # UTF-8 with accents for the first 100 KB (detection's sample), then a Latin-1 byte: a file
    # that mixes encodings is not read as Windows-1252 by itself (its start would be garbled).
    body = "email;name\r\n" + "".join(f"p{i}@example.com;Zoë{i}\r\n" for i in range(5000))
    data = body.encode() + "late@example.com;Zoë\r\n".encode("latin-1")
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "late.csv", data))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(job)
    assert job.status == ImportJob.Status.UPLOADED
    assert "not valid UTF-8" in job.problem
    assert quota_used() == 0 and sandbox.app.stats()["imports_today"] == {}
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "The check stopped." in page and "No import was used." in page


def test_a_file_with_no_valid_row_cannot_be_sent(client_as_marketer, sandbox):
    data = b"email;name\r\nnope;A\r\nstill-nope;B\r\n"
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "bad.csv", data))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(job)
    assert job.status == ImportJob.Status.VALIDATED and not job.can_submit
    response = client_as_marketer.post(f"/imports/{job.pk}/submit/")
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.VALIDATED
    assert response.status_code in (200, 302)
    assert quota_used() == 0


# --- submission and follow-up --------------------------------------------------------------------


def test_a_checked_file_is_sent_followed_to_finished_and_its_files_download(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_FAST_SECONDS = 0
    job = _validated_job(client_as_marketer)
    response = client_as_marketer.post(f"/imports/{job.pk}/submit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED and quota_used() == 1

    job = run_send_and_follow(job)
    assert job.status == ImportJob.Status.FINISHED, job.failure
    assert sandbox.app.stats()["imports_today"] == {DEMODOC: 1}
    assert job.counts["read"] == 3 and job.counts["errors"] == 0
    assert job.counts["inserted"] + job.counts["updated"] == 3
    assert "result.csv" in job.output_members

    calls = sandbox.app.stats()["requests"]
    page = client_as_marketer.get(f"/imports/{job.pk}/status/").content.decode()
    assert sandbox.app.stats()["requests"] == calls  # the live status never asks ACTITO
    assert 'data-count="read">3<' in page and "hx-trigger" not in page

    result = client_as_marketer.get(f"/imports/{job.pk}/output/result.csv")
    assert b"zo" in b"".join(result.streaming_content)
    actions = list(
        AuditEvent.objects.filter(target_id=str(job.pk)).values_list("action", flat=True)
    )
    for action in ("import.uploaded", "import.validated", "import.submitted", "import.finished"):
        assert action in actions
    assert "import.file_downloaded" in actions


def test_a_viewer_cannot_download_the_result_files(client_as_viewer, marketer):
    job = ImportJob.objects.create(
        requested_by=marketer, original_name="x.csv", stored_name="x", output_members=["a.csv"]
    )
    assert client_as_viewer.get(f"/imports/{job.pk}/output/a.csv").status_code == 403
    assert client_as_viewer.post(f"/imports/{job.pk}/submit/").status_code == 403


def test_when_actito_refuses_the_file_the_quota_is_given_back(client_as_marketer, sandbox):
    job = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    assert quota_used() == 1
    sandbox.app.set_faults(force_status=400, paths="etl-executions")
    tasks.import_job_send(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "Nothing was imported" in job.failure and "HTTP 400" in job.failure
    assert quota_used() == 0
    assert AuditEvent.objects.filter(action="import.failed", target_id=str(job.pk)).exists()

    # Nothing was imported, so the marketer may fix things and check again.
    sandbox.app.clear_faults()
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    job = run_validation(job)
    assert job.status == ImportJob.Status.VALIDATED and job.failure == ""


def test_a_missing_prepared_file_is_never_sent_and_gives_the_quota_back(
    client_as_marketer, sandbox, settings
):
    job = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    (settings.UPLOAD_DIR / job.prepared_name).unlink()
    tasks.import_job_send(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and quota_used() == 0
    assert sandbox.app.stats()["imports_today"] == {}


def test_the_13th_import_of_the_day_is_refused_before_anything_is_sent(client_as_marketer, sandbox):
    Connection.objects.update_or_create(name="default", defaults={"daily_imports_per_table": 1})
    first = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{first.pk}/submit/")
    second = _validated_job(client_as_marketer)
    response = client_as_marketer.post(f"/imports/{second.pk}/submit/", HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "All 1 imports allowed today on table demodoc are used" in response.content.decode()
    second.refresh_from_db()
    assert second.status == ImportJob.Status.VALIDATED and quota_used() == 1


def test_submitting_twice_counts_one_import(client_as_marketer, sandbox):
    job = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    assert quota_used() == 1


def test_delete_mode_asks_for_the_table_name_before_sending(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job, mode="DELETE"))
    job = run_validation(job)
    response = client_as_marketer.post(f"/imports/{job.pk}/submit/", {"confirm_table": "demo"})
    assert response.status_code == 422
    assert "Type demodoc exactly" in response.content.decode()
    assert quota_used() == 0
    client_as_marketer.post(f"/imports/{job.pk}/submit/", {"confirm_table": "demodoc"})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


# --- lists, home, retention ----------------------------------------------------------------------


def test_the_jobs_list_filters_by_status_and_shows_todays_quota(client_as_marketer, sandbox):
    job = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    page = client_as_marketer.get("/imports/").content.decode()
    assert "1 of 12 imports used today on" in page and "demodoc" in page
    filtered = client_as_marketer.get("/imports/?status=finished").content.decode()
    assert "No import matches these filters." in filtered


def test_the_home_page_shows_recent_imports(client_as_marketer):
    uploaded_job(client_as_marketer, "home.csv")
    page = client_as_marketer.get("/").content.decode()
    assert "Recent imports" in page and "home.csv" in page


def test_old_files_are_deleted_but_the_job_and_its_audit_trail_stay(client_as_marketer, settings):
    from datetime import timedelta

    from django.utils import timezone

    job = uploaded_job(client_as_marketer)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=40))
    settings.UPLOAD_RETENTION_DAYS = 30
    out = io.StringIO()
    call_command("imports_purge_files", stdout=out)
    assert "1 import file deleted" in out.getvalue()
    assert not (settings.UPLOAD_DIR / job.stored_name).exists()
    job.refresh_from_db()
    assert job.files_purged_at is not None
    assert AuditEvent.objects.filter(action="import.uploaded").exists()
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "were deleted" in page


def test_a_gzip_upload_is_accepted(client_as_marketer):
    data = gzip.compress(semicolon_cp1252_bytes())
    job = uploaded_job(client_as_marketer, "people.csv.gz", data)
    assert job.container == "gzip" and job.separator == ";"


def test_the_upload_page_states_actitos_size_limit_before_upload(client_as_marketer, settings):
    assert "must stay under 100.0 MB" in client_as_marketer.get("/imports/new/").content.decode()
    settings.ACTITO_MAX_IMPORT_MB = 50
    assert "must stay under 50.0 MB" in client_as_marketer.get("/imports/new/").content.decode()


# --- following, recovery, saved mappings ---------------------------------------------------------


def test_the_poll_policy_follows_the_spec():
    from actito_admin.imports.conf import PollPolicy

    policy = PollPolicy()
    assert [policy.interval(s) for s in (0, 119, 120, 3600)] == [15, 15, 60, 60]


def test_an_execution_still_running_after_a_day_is_marked_unknown(
    client_as_marketer, sandbox, settings
):
    settings.IMPORT_POLL_GIVE_UP_SECONDS = 0
    sandbox.app.reset()
    job = _validated_job(client_as_marketer)
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    tasks.import_job_send(job.pk)

    class StillRunning:
        def get_execution(self, execution_id):
            from actito_admin.actito.schemas import Execution

            return Execution(id=execution_id, status="IN_PROGRESS")

    job.refresh_from_db()
    job = following.import_job_poll_perform(job=job, client=StillRunning())
    assert job.status == ImportJob.Status.UNKNOWN and "Manage imports" in job.failure
    assert quota_used() == 1  # ACTITO has it: the import stays counted


def test_the_status_poll_that_ends_a_check_never_asks_actito(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    client_as_marketer.post(f"/imports/{job.pk}/validate/", mapping_post(job))
    run_validation(job)
    from django.core.cache import cache

    cache.clear()  # even with the table list gone from the cache
    calls = sandbox.app.stats()["requests"]
    response = client_as_marketer.get(
        f"/imports/{job.pk}/status/?was=validating", HTTP_HX_REQUEST="true"
    )
    assert response["HX-Retarget"] == "#workspace"
    assert "4. Check results" in response.content.decode()
    assert sandbox.app.stats()["requests"] == calls


def test_a_check_or_upload_whose_worker_died_is_recovered(marketer):
    from datetime import timedelta

    from django.utils import timezone

    checking = ImportJob.objects.create(
        requested_by=marketer, original_name="a.csv", stored_name="a", status="validating"
    )
    sending = ImportJob.objects.create(
        requested_by=marketer, original_name="b.csv", stored_name="b", status="uploading"
    )
    old = timezone.now() - timedelta(hours=2)
    ImportJob.objects.filter(pk__in=[checking.pk, sending.pk]).update(updated_at=old)
    assert following.import_jobs_recover(stale_after_seconds=60) == 2
    checking.refresh_from_db()
    sending.refresh_from_db()
    assert checking.status == "uploaded" and "Try again" in checking.problem
    assert sending.status == "unknown"


def test_a_saved_mapping_can_be_forgotten(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    import_through(client_as_marketer, job, mapping_post(job))
    template = MappingTemplate.objects.get()
    assert "E-mail" in client_as_marketer.get("/imports/mappings/").content.decode()
    client_as_marketer.post(f"/imports/mappings/{template.pk}/delete/")
    assert not MappingTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="import.template_deleted").exists()


def test_the_jobs_list_filters_by_table_and_user(client_as_marketer, marketer, viewer, sandbox):
    choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer, "mine.csv"))
    ImportJob.objects.create(requested_by=viewer, original_name="theirs.csv", stored_name="t")
    page = client_as_marketer.get(f"/imports/?table=demodoc&user={marketer.pk}").content.decode()
    assert "mine.csv" in page and "theirs.csv" not in page


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("format", {"encoding": "rot13", "separator": ";", "quotechar": '"'}),
        ("format", {"encoding": "utf-8", "separator": "x", "quotechar": '"'}),
        ("table", {"table": "999"}),
        ("validate", {"col0_target": "nonsense", "mode": "CREATE_OR_UPDATE"}),
        ("validate", {"mode": "MERGE"}),
    ],
)
def test_tampered_input_gets_an_answer_not_a_server_error(client_as_marketer, sandbox, path, data):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    response = client_as_marketer.post(f"/imports/{job.pk}/{path}/", data)
    assert response.status_code == 422
    job.refresh_from_db()
    assert job.status == ImportJob.Status.UPLOADED and job.separator == ";"


def test_unknown_jobs_and_files_are_not_found(client_as_marketer, marketer):
    assert client_as_marketer.get("/imports/999/").status_code == 404
    job = ImportJob.objects.create(requested_by=marketer, original_name="x.csv", stored_name="x")
    assert client_as_marketer.get(f"/imports/{job.pk}/rows-with-errors.csv").status_code == 404
    assert client_as_marketer.get(f"/imports/{job.pk}/output/..%2Fsecret").status_code == 404


def test_a_mapping_with_errors_comes_back_alone_in_its_own_step(client_as_marketer, sandbox):
    job = choose_demodoc(client_as_marketer, uploaded_job(client_as_marketer))
    data = mapping_post(job, col0_target="", mode="UPDATE_ONLY")
    response = client_as_marketer.post(f"/imports/{job.pk}/validate/", data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 422 and "key field" in html
    assert response["HX-Retarget"] == "#step-mapping" and response["HX-Reswap"] == "outerHTML"
    assert 'id="step-format"' not in html, "the whole workspace was rendered for one step"


def test_reloading_the_table_list_redraws_only_the_table_step(client_as_marketer, sandbox):
    job = uploaded_job(client_as_marketer)
    response = client_as_marketer.post(
        f"/imports/{job.pk}/table/", {"refresh": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'id="step-table"' in html and "demodoc" in html
    assert response["HX-Retarget"] == "#step-table"
    assert 'id="step-format"' not in html
