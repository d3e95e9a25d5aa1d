"""End to end: a real browser, the live server, the sandbox over HTTP and a real task cluster."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from actito_admin.imports.models import ImportJob
from tests.conftest import login_in_browser
from tests.imports.web._web import DEMODOC, semicolon_cp1252_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The first ACTITO poll comes 15 s after the upload (spec §7.7), plus the cluster's pace.
LIVE = 45_000


def _upload_people_csv(page, marketer) -> None:
    """Log in and upload the semicolon, Windows-1252 file with a BOM; wait for its page."""
    login_in_browser(page, marketer)
    page.goto("/imports/new/")
    page.get_by_label("CSV file").set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": semicolon_cp1252_bytes()}
    )
    page.get_by_role("button", name="Upload and read the file").click()
    page.wait_for_url("**/imports/*/")


def test_a_marketer_imports_a_semicolon_windows_1252_file_with_a_bom_and_follows_it_live(
    page, marketer, sandbox, task_cluster, connection_limits, settings
):
    # The cluster is another process: it must find the files where the web server puts them.
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"
    _upload_people_csv(page, marketer)

    expect(page.get_by_label("Encoding")).to_have_value("cp1252-sig")
    expect(page.get_by_label("Separator")).to_have_value(";")
    expect(page.locator(".preview")).to_contain_text("Zoë")

    page.get_by_label("Profile table", exact=True).select_option(label="demodoc")
    page.get_by_role("button", name="Use this table").click()
    expect(page.get_by_label("Column “E-mail” goes to")).to_have_value("emailAddress")
    expect(page.get_by_label("Column “Prénom” goes to")).to_have_value("firstName")

    # Send the invalid row anyway, so that ACTITO's own error file lists it.
    page.get_by_label("Leave rows with errors out of the upload").uncheck()
    page.get_by_role("button", name="Check the whole file").click()
    expect(page.get_by_role("heading", name="4. Check results")).to_be_visible(timeout=LIVE)
    expect(page.locator(".quota-line")).to_contain_text("0 of 12 imports used today on demodoc")

    page.get_by_role("button", name="Send to ACTITO").click()
    # Our own confirmation says, in plain words, what sending does.
    question = page.locator("#confirm-dialog")
    expect(question).to_contain_text(
        "Send 4 rows to demodoc: add the new people and update the ones already there?"
    )
    expect(question).to_contain_text("0 of 12 used")
    question.get_by_role("button", name="Send to ACTITO").click()
    # One row is not an address: ACTITO refuses it and the import says so, not "Done".
    finished = page.locator(".import-status[data-status=partly_refused]")
    expect(finished).to_be_visible(timeout=LIVE)

    expect(finished.locator('[data-count="read"]')).to_have_text("4")
    expect(finished.locator('[data-count="errors"]')).to_have_text("1")
    inserted = int(finished.locator('[data-count="inserted"]').inner_text())
    updated = int(finished.locator('[data-count="updated"]').inner_text())
    assert inserted + updated == 3
    assert sandbox.app.stats()["imports_today"] == {DEMODOC: 1}

    with page.expect_download() as info:
        finished.get_by_role("link", name="error file (errors.csv)").click()
    content = info.value.path().read_bytes()
    assert b"not-an-email" in content

    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PARTLY_REFUSED and job.execution_id
    expect(finished).to_contain_text("ACTITO refused 1 of 4 rows.")
    assert page.problems == [], page.problems
    # This test shares the real upload folder with the cluster: leave nothing behind.
    for name in (job.stored_name, job.prepared_name, job.error_file_name, job.output_name):
        if name:
            (settings.UPLOAD_DIR / name).unlink(missing_ok=True)


def test_a_mapping_error_shows_in_its_step_and_the_rest_of_the_page_stays(
    page, marketer, sandbox, settings
):
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"
    _upload_people_csv(page, marketer)
    page.get_by_label("Profile table", exact=True).select_option(label="demodoc")
    page.get_by_role("button", name="Use this table").click()
    page.get_by_label("Column “E-mail” goes to").select_option(label="Don't import")
    page.get_by_label("Only update existing profiles").check()
    page.get_by_role("button", name="Check the whole file").click()

    expect(page.locator("#step-mapping [role=alert]")).to_contain_text("key field")
    expect(page.locator("#step-format .preview")).to_contain_text("Zoë")
    expect(page.locator("#step-mapping")).to_have_count(1)
    expect(page.get_by_label("Only update existing profiles")).to_be_checked()
