"""A French/Belgian contact file as marketers export it goes through to ACTITO with its values
converted: dates 26/05/1967, decimal commas, oui/non, civilities, national phone numbers, e-mail
addresses with capitals and spaces. The converted values are read back from the sandbox.

Against the sandbox over HTTP; the background steps run in-process (see _web.py)."""

from __future__ import annotations

import pytest

from actito_admin.actito.connection import build_client
from actito_admin.imports.models import ImportJob
from tests.imports.web._web import run_send_and_follow, run_validation, uploaded_job

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("upload_dir", "fresh_cache")]

CUSTOMERS = "17"
HEADERS = (
    "Courriel;Civilité;Prénom;Nom;Date de naissance;GSM;Client VIP;N° client;Points fidélité;"
    "Valeur client (€);Date dernier achat;Pays;Langue;Newsletter"
)
TARGETS = {
    "Courriel": "emailAddress",
    "Civilité": "title",
    "Prénom": "firstName",
    "Nom": "lastName",
    "Date de naissance": "birthDate",
    "GSM": "gsmNumber",
    "Client VIP": "isVip",
    "N° client": "customerId",
    "Points fidélité": "loyaltyPoints",
    "Valeur client (€)": "lifetimeValue",
    "Date dernier achat": "lastPurchaseDate",
    "Pays": "addressCountry",
    "Langue": "motherLanguage",
    "Newsletter": "subscriptions#Newsletter",
}
ROWS = [
    " Sophie.Dubois@Example.BE ;Mme;Sophie;Dubois;26/05/1967;0498 79 21 85;oui;C-1001;1.250;"
    "1.234,56;03/11/2026;Belgique;Français;x",
    "jan.peeters@example.be;Dhr.;Jan;Peeters;01/02/1980;+32 470 12 34 56;non;C-1002;80;"
    "12,50;15/10/2026;België;Nederlands;nee",
    "chloe.martin@example.fr;Mlle;Chloé;Martin;31.12.1995;0032 478 00 11 22;Oui;C-1003;0;0,99;"
    "01/09/2026;BE;FR;oui",
]


def french_file(rows: list[str] = ROWS) -> bytes:
    return ("\r\n".join([HEADERS, *rows]) + "\r\n").encode("cp1252")


def _mapping_form(job: ImportJob, **overrides: str) -> dict[str, str]:
    data = {f"col{i}_target": TARGETS.get(h, "") for i, h in enumerate(job.headers)}
    data |= {"mode": "CREATE_OR_UPDATE", "leave_out_invalid": "on"}
    return data | overrides


def _checked(client, data: bytes, name: str = "contacts_fr.csv", **overrides: str) -> ImportJob:
    job = uploaded_job(client, name, data)
    response = client.post(f"/imports/{job.pk}/table/", {"table": CUSTOMERS})
    assert response.status_code == 200, response.content.decode()[:1000]
    job.refresh_from_db()
    assert job.headers[1] == "Civilité", f"the Windows-1252 file was misread: {job.headers}"
    response = client.post(f"/imports/{job.pk}/validate/", _mapping_form(job, **overrides))
    assert response.status_code == 200, response.content.decode()[:2000]
    return run_validation(ImportJob.objects.get(pk=job.pk))


def test_a_french_file_reaches_actito_with_its_values_converted(client_as_marketer, sandbox):
    job = _checked(client_as_marketer, french_file())
    assert job.report["rows_invalid"] == 0, [e["message"] for e in job.report["first_errors"]]
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    job = run_send_and_follow(job)
    assert job.status == ImportJob.Status.FINISHED, (job.status, job.counts, job.failure)

    profile = build_client().get_profile(
        table="customers", ref="emailAddress=sophie.dubois@example.be"
    )
    got = {k: profile.attributes.get(k) for k in TARGETS.values() if "#" not in k}
    assert got == {
        "emailAddress": "sophie.dubois@example.be",
        "title": "Mrs",
        "firstName": "Sophie",
        "lastName": "Dubois",
        "birthDate": "1967-05-26",
        "gsmNumber": "+32498792185",
        "isVip": "true",
        "customerId": "C-1001",
        "loyaltyPoints": "1250",
        "lifetimeValue": "1234.56",
        "lastPurchaseDate": "2026-11-03",
        "addressCountry": "BE",
        "motherLanguage": "FR",
    }, "ACTITO did not get the converted values of the French file"
    assert profile.subscriptions.get("Newsletter") is True, "x in Newsletter should subscribe"
    jan = build_client().get_profile(table="customers", ref="emailAddress=jan.peeters@example.be")
    assert (jan.attributes["title"], jan.attributes["isVip"]) == ("Mr", "false")
    assert jan.subscriptions.get("Newsletter") is False


def test_the_check_reports_each_column_how_it_was_read_and_what_is_wrong(
    client_as_marketer, sandbox
):
    bad = [
        *ROWS,
        "pas-une-adresse;Madame la Comtesse;Ann;Maes;31/02/1990;123;peut-être;C-1004;1;2,5;"
        "01/01/2026;BE;NL;x",
        "ann2@;M.;Ann;Maes;01/03/1990;0470 12 34 56;oui;C-1005;1;2,5;01/01/2026;BE;NL;x",
    ]
    job = _checked(client_as_marketer, french_file(bad))
    columns = {c["header"]: c for c in job.report["columns"]}
    birth = columns["Date de naissance"]
    assert birth["read_as"].startswith("day/month/year") and birth["converted"] == 4, birth
    email = columns["Courriel"]
    assert [(p["code"], p["count"]) for p in email["problems"]] == [("INVALID_EMAIL", 2)], email
    assert email["problems"][0]["examples"] == ["pas-une-adresse", "ann2@"]
    assert [p["code"] for p in columns["Civilité"]["problems"]] == ["INVALID_TITLE"]
    assert [p["code"] for p in columns["Date de naissance"]["problems"]] == ["INVALID_DATE"]
    assert "could not be read as a date (day/month/year" in birth["problems"][0]["message"]

    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "Column by column" in page, "the per-column report is missing from the page"
    assert "2 values</strong>: “pas-une-adresse” is not a valid e-mail address." in page, page[
        page.find("Column by column") : page.find("Column by column") + 3000
    ]
    assert "day/month/year (26/05/1967): 4 values converted for ACTITO." in page


def test_the_mapping_shows_each_example_as_actito_will_get_it(client_as_marketer, sandbox):
    job = uploaded_job(client_as_marketer, "contacts_fr.csv", french_file())
    client_as_marketer.post(f"/imports/{job.pk}/table/", {"table": CUSTOMERS})
    job.refresh_from_db()
    # The job's links decide the example (whatever the name matching proposed).
    job.mapping = [{"header": h, "target": t} for h, t in TARGETS.items()]
    job.save(update_fields=["mapping"])
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "sent as <code>1967-05-26</code>" in page, "the date example is not shown converted"
    assert "sent as <code>+32498792185</code>" in page, "the phone example is not shown converted"


def test_an_excel_workbook_goes_through_with_excels_own_dates_and_numbers(
    client_as_marketer, sandbox, tmp_path
):
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Contacts"
    sheet.append(HEADERS.split(";"))
    sheet.append(
        [
            "Marie.Lambert@Example.be",
            "Mevr.",
            "Marie",
            "Lambert",
            dt.date(1972, 3, 9),  # an Excel date, not text
            "+32 470 99 88 77",
            "ja",
            "C-2001",
            320,
            1499.9,  # an Excel number
            dt.date(2026, 11, 20),
            "BE",
            "NL",
            "ja",
        ]
    )
    book.create_sheet("Notes").append(["not imported"])
    path = tmp_path / "contacten.xlsx"
    book.save(path)

    job = _checked(client_as_marketer, path.read_bytes(), name="contacten.xlsx")
    assert job.container == "xlsx" and job.member_name == "Contacts"
    assert job.report["rows_invalid"] == 0, [e["message"] for e in job.report["first_errors"]]
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "Excel workbook: the sheet “Contacts” was read" in page
    client_as_marketer.post(f"/imports/{job.pk}/submit/")
    job = run_send_and_follow(job)
    assert job.status == ImportJob.Status.FINISHED, (job.status, job.counts, job.failure)
    marie = build_client().get_profile(
        table="customers", ref="emailAddress=marie.lambert@example.be"
    )
    assert (
        marie.attributes["birthDate"],
        marie.attributes["lifetimeValue"],
        marie.attributes["loyaltyPoints"],
        marie.attributes["title"],
        marie.attributes["isVip"],
    ) == ("1972-03-09", "1499.9", "320", "Mrs", "true"), marie.attributes


def test_a_workbook_with_several_sheets_says_which_one_is_imported(
    client_as_marketer, sandbox, tmp_path
):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Clients"
    book.active.append(["email"])
    book.active.append(["a@example.be"])
    book.create_sheet("Archive")
    book.save(tmp_path / "two.xlsx")
    job = uploaded_job(client_as_marketer, "two.xlsx", (tmp_path / "two.xlsx").read_bytes())
    page = client_as_marketer.get(f"/imports/{job.pk}/").content.decode()
    assert "This workbook has one more sheet. Only the first one, “Clients”, is imported" in page


def test_the_wizard_matches_a_french_file_on_its_values_and_never_a_yes_no_column_to_a_key(
    client_as_marketer, sandbox
):
    job = uploaded_job(client_as_marketer, "contacts_fr.csv", french_file())
    client_as_marketer.post(f"/imports/{job.pk}/table/", {"table": CUSTOMERS})
    job.refresh_from_db()
    chosen = {m["header"]: m["target"] for m in job.mapping}
    wrong = {h: chosen.get(h) for h, t in TARGETS.items() if chosen.get(h) != t}
    assert wrong == {}, f"columns the wizard did not link right: {wrong}"
    keys = {"customerId", "emailAddress"}
    assert chosen["Client VIP"] not in keys, "a oui/non column was chosen for a key field"
