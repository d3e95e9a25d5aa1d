"""In a real browser, with the sandbox over HTTP and a real task cluster: a marketer switches the
console to French and starts scenario 11160 for profile 147471, following it live in French; a
Dutch marketer takes a CSV through detection, mapping, the check and ACTITO's counts in Dutch.

The words looked for come from the catalogues (`_in`), so the test follows the translation while
still failing when a page shows English where a translation exists."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

from actito_admin.imports.models import ImportJob
from tests.conftest import PASSWORD
from tests.imports.web._web import semicolon_cp1252_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 45_000


def _in(language: str, text: str, context: str | None = None, **values: object) -> str:
    """`text` as the console says it in `language`; fails when it has no translation there."""
    with translation.override(language):
        said = translation.pgettext(context, text) if context else translation.gettext(text)
    assert said != text or text in {"Scenario", "Import", "Sandbox"}, (
        f"{text!r} has no {language} translation"
    )
    return said % values if values else said


def test_a_marketer_switches_to_french_and_starts_doc_for_147471_live_in_french(
    page, marketer, sandbox, task_cluster, connection_limits
):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(marketer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    page.goto("/scenarios/")
    # The header's language buttons keep the person on the same page.
    page.get_by_role("button", name="Français").click()
    page.wait_for_url("**/scenarios/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_label(_in("fr", "Profile table")).select_option("demodoc")
    page.get_by_label(_in("fr", "Scenario name")).fill("Doc")
    link = page.locator("#scenario-results").get_by_role("link", name="DocScenarioAPI")
    expect(link, "ACTITO's scenario name is never translated").to_be_visible(timeout=LIVE)
    expect(page.locator("#scenario-results")).to_contain_text("11160")
    link.click()
    page.get_by_label(_in("fr", "Identify the profile by")).select_option("profileId")
    page.get_by_label(_in("fr", "Value"), exact=True).fill("147471")
    page.get_by_role("button", name=_in("fr", "Look up")).click()
    page.get_by_role("button", name=_in("fr", "Yes, start it")).click()

    status = page.locator(".run-status[data-status=succeeded]")
    expect(status).to_be_visible(timeout=LIVE)
    expect(status.locator(".badge")).to_have_text(_in("fr", "Succeeded"))
    expect(status).not_to_contain_text("Reference for ACTITO support")
    triggers = sandbox.app.stats()["triggers"]
    assert [(t["scenario_id"], str(t["profile_id"])) for t in triggers] == [(11160, "147471")]
    assert page.problems == [], page.problems


def test_a_dutch_marketer_imports_a_csv_and_reads_every_step_in_dutch(
    page, marketer, sandbox, task_cluster, connection_limits, settings
):
    from actito_admin.accounts.models import Preferences

    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"  # the cluster is another process
    preferences = Preferences.of(marketer)
    preferences.language = "nl"
    preferences.save()

    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(marketer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    expect(page.locator("html"), "a saved choice applies from the login on").to_have_attribute(
        "lang", "nl"
    )
    page.goto("/imports/new/")
    page.get_by_label(_in("nl", "CSV file or Excel workbook")).set_input_files(
        {"name": "people.csv", "mimeType": "text/csv", "buffer": semicolon_cp1252_bytes()}
    )
    page.get_by_role("button", name=_in("nl", "Upload and read the file")).click()
    page.wait_for_url("**/imports/*/")
    # Detection, in Dutch.
    expect(page.get_by_label(_in("nl", "Encoding"))).to_have_value("cp1252-sig")
    expect(page.get_by_label(_in("nl", "Separator"))).to_have_value(";")

    page.get_by_label(_in("nl", "Profile table"), exact=True).select_option(label="demodoc")
    page.get_by_role("button", name=_in("nl", "Use this table")).click()
    expect(page.locator("#mapping-title")).to_be_visible()
    page.get_by_label(_in("nl", "Leave rows with errors out of the upload")).uncheck()
    page.get_by_role("button", name=_in("nl", "Check the whole file")).click()
    report = page.locator(".column-report")
    expect(report).to_be_visible(timeout=LIVE)
    # The dry run's advice about the address that is not one, written by the task in Dutch.
    expect(report.locator('[data-column="E-mail"]')).to_contain_text(
        _in("nl", "Correct these addresses in the file, or leave these rows out.")
    )

    page.get_by_role("button", name=_in("nl", "Send to ACTITO")).click()
    page.locator("#confirm-dialog").get_by_role("button", name=_in("nl", "Send to ACTITO")).click()
    finished = page.locator(".import-status[data-status=partly_refused]")
    expect(finished).to_be_visible(timeout=LIVE)
    for word, context in (("Read", "rows"), ("Added", None), ("Updated", None), ("Refused", None)):
        expect(finished).to_contain_text(_in("nl", word, context))
    expect(finished.locator('[data-count="read"]')).to_have_text("4")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.PARTLY_REFUSED
    assert page.problems == [], page.problems
    for name in (job.stored_name, job.prepared_name, job.error_file_name, job.output_name):
        if name:
            (settings.UPLOAD_DIR / name).unlink(missing_ok=True)
