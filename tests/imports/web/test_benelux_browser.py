"""In a real browser: a French Windows-1252 file goes to ACTITO with its dates, numbers, yes/no
words, civilities and phone numbers converted; sending asks in plain words, in our own dialog;
deleting is apart; the mapping works on a phone; a file can be dropped on the upload form."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from actito_admin.actito.connection import build_client
from actito_admin.imports.models import ImportJob
from tests.conftest import login_in_browser
from tests.imports.web.test_benelux_files import TARGETS, french_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE = 45_000  # the first ACTITO poll comes 15 s after sending (spec §7.7)


def _upload(page, marketer, data: bytes, name: str = "contacts_fr.csv") -> None:
    login_in_browser(page, marketer)
    page.goto("/imports/new/")
    page.get_by_label("CSV file").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}
    )
    page.get_by_role("button", name="Upload and read the file").click()
    page.wait_for_url("**/imports/*/")


def _choose_customers(page) -> None:
    page.get_by_label("Profile table", exact=True).select_option(label="customers")
    page.get_by_role("button", name="Use this table").click()
    expect(page.get_by_role("heading", name="3. Link each column to customers")).to_be_visible()


def test_a_french_file_goes_to_actito_converted_after_a_plain_confirmation(
    page, marketer, sandbox, task_cluster, connection_limits, settings
):
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"  # the cluster is another process
    _upload(page, marketer, french_file())
    expect(page.locator(".preview")).to_contain_text("Chloé")
    _choose_customers(page)
    # Keyboard focus follows the live update to the next step instead of falling to the top.
    expect(page.locator("#mapping-title")).to_be_focused()
    # The example shows what ACTITO will get for a column the matching recognised.
    expect(page.locator("#step-mapping")).to_contain_text("sent as sophie.dubois@example.be")
    for header, target in TARGETS.items():
        page.get_by_label(f"Column “{header}” goes to").select_option(target)
    page.get_by_role("button", name="Check the whole file").click()

    report = page.locator(".column-report")
    expect(report).to_be_visible(timeout=LIVE)
    expect(page.locator("#check-title")).to_be_focused()
    expect(report.locator('[data-column="Date de naissance"]')).to_contain_text(
        "day/month/year (26/05/1967): 3 values converted for ACTITO."
    )
    expect(report.locator('[data-column="GSM"]')).to_contain_text("Belgian (+32)")

    page.get_by_role("button", name="Send to ACTITO").click()
    question = page.locator("#confirm-dialog")
    expect(question).to_be_visible()
    expect(question).to_contain_text(
        "Send 3 rows to customers: add the new people and update the ones already there?"
    )
    expect(question).not_to_contain_text("CREATE_OR_UPDATE")
    question.get_by_role("button", name="Send to ACTITO").click()
    # While it runs, the tab says how it is going, to be followed from another tab.
    expect(page).to_have_title(re.compile(r"· Import contacts_fr\.csv$"), timeout=LIVE)
    expect(page.locator(".import-status[data-status=finished]")).to_be_visible(timeout=LIVE)
    expect(page).to_have_title("Import of contacts_fr.csv · Actito Admin")

    chloe = build_client().get_profile(
        table="customers", ref="emailAddress=chloe.martin@example.fr"
    )
    assert (
        chloe.attributes["title"],
        chloe.attributes["birthDate"],
        chloe.attributes["gsmNumber"],
        chloe.attributes["lifetimeValue"],
    ) == ("Ms", "1995-12-31", "+32478001122", "0.99"), chloe.attributes
    assert ImportJob.objects.get().status == ImportJob.Status.FINISHED
    assert page.problems == [], page.problems


def test_cancelling_the_confirmation_sends_nothing(page, marketer, sandbox, task_cluster, settings):
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"
    _upload(page, marketer, french_file())
    _choose_customers(page)
    for header, target in TARGETS.items():
        page.get_by_label(f"Column “{header}” goes to").select_option(target)
    page.get_by_role("button", name="Check the whole file").click()
    page.get_by_role("button", name="Send to ACTITO").click(timeout=LIVE)
    page.keyboard.press("Escape")
    expect(page.locator("#confirm-dialog")).to_be_hidden()
    expect(page.get_by_role("button", name="Send to ACTITO")).to_be_focused()
    assert ImportJob.objects.get().status == ImportJob.Status.VALIDATED, "Esc must send nothing"
    assert sandbox.app.stats()["imports_today"] == {}


def test_deleting_profiles_is_a_separate_explicit_step(page, marketer, sandbox, fresh_cache):
    _upload(page, marketer, french_file())
    _choose_customers(page)
    delete = page.get_by_label("Delete the profiles in the file")
    expect(delete).to_be_hidden()  # not among the everyday choices
    page.get_by_text("Delete profiles instead…").click()
    expect(delete).to_be_visible()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_mapping_fits_the_screen_without_sideways_scrolling(
    page, marketer, sandbox, fresh_cache, width
):
    page.set_viewport_size({"width": width, "height": 800})
    _upload(page, marketer, french_file())
    _choose_customers(page)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    goes_to = page.get_by_label("Column “Valeur client (€)” goes to")
    goes_to.scroll_into_view_if_needed()
    box = goes_to.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (
        f"the 'Goes to' choice is off-screen at {width}px: {box}"
    )


def test_a_file_dropped_on_the_upload_form_is_uploaded(page, marketer, sandbox, fresh_cache):
    login_in_browser(page, marketer)
    page.goto("/imports/new/")
    transfer = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["email;name\\nzoe@example.com;Zoe\\n"], "dropped.csv",
                                        {type: "text/csv"}));
            return transfer;
        }"""
    )
    page.dispatch_event("#upload", "drop", {"dataTransfer": transfer})
    expect(page.locator("[data-chosen-file]")).to_have_text("dropped.csv")
    page.get_by_role("button", name="Upload and read the file").click()
    page.wait_for_url("**/imports/*/")
    expect(page.get_by_role("heading", name="Import of dropped.csv")).to_be_visible()


def _workbook_bytes() -> bytes:
    import datetime as dt
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Contacts"
    sheet.append(list(TARGETS))
    sheet.append(
        [
            "Lotte.Maes@Example.be",
            "Mevr.",
            "Lotte",
            "Maes",
            dt.date(1988, 7, 14),
            "0470 55 44 33",
            "ja",
            "C-3001",
            42,
            250.75,
            dt.date(2026, 11, 2),
            "België",
            "Nederlands",
            "ja",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_goes_to_actito_from_the_browser(
    page, marketer, sandbox, task_cluster, connection_limits, settings
):
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"
    _upload(page, marketer, _workbook_bytes(), name="contacten.xlsx")
    expect(page.get_by_text("Excel workbook: the sheet “Contacts” was read")).to_be_visible()
    _choose_customers(page)
    for header, target in TARGETS.items():
        page.get_by_label(f"Column “{header}” goes to").select_option(target)
    page.get_by_role("button", name="Check the whole file").click()
    expect(page.locator(".column-report")).to_be_visible(timeout=LIVE)
    page.get_by_role("button", name="Send to ACTITO").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Send to ACTITO").click()
    expect(page.locator(".import-status[data-status=finished]")).to_be_visible(timeout=LIVE)
    lotte = build_client().get_profile(table="customers", ref="emailAddress=lotte.maes@example.be")
    assert (
        lotte.attributes["birthDate"],
        lotte.attributes["gsmNumber"],
        lotte.attributes["lifetimeValue"],
        lotte.attributes["title"],
        lotte.attributes["addressCountry"],
        lotte.attributes["motherLanguage"],
    ) == ("1988-07-14", "+32470554433", "250.75", "Mrs", "BE", "NL"), lotte.attributes


def test_a_late_windows_1252_accent_is_read_right_and_said_in_the_browser(
    page, marketer, sandbox, task_cluster, settings
):
    settings.UPLOAD_DIR = settings.DATA_DIR / "uploads"
    rows = [f"person{i}@example.com;Person {i:04d} with a longish name" for i in range(2000)]
    text = "\r\n".join(["email;name", *rows, "rene@example.com;René"]) + "\r\n"
    _upload(page, marketer, text.encode("cp1252"), name="late.csv")
    page.get_by_label("Profile table", exact=True).select_option(label="demodoc")
    page.get_by_role("button", name="Use this table").click()
    page.get_by_role("button", name="Check the whole file").click()
    notice = page.locator(".encoding-fallback")
    expect(notice).to_be_visible(timeout=LIVE)
    expect(notice).to_contain_text("the whole file was read as Windows-1252")
    expect(page.get_by_label("Encoding")).to_have_value("cp1252")
