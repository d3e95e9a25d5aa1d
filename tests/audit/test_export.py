"""Admins export the filtered log as CSV or JSON Lines; the export is itself audited."""

from __future__ import annotations

import csv
import io
import json

import pytest

from actito_admin.audit.export import neutralise
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


@pytest.fixture
def risky(make_event, marketer):
    return [
        make_event(
            actor=marketer,
            action="import.uploaded",
            target=("imports.importjob", "9"),
            data={"file_name": '=HYPERLINK("http://evil")', "table_name": "+Customers"},
        ),
        make_event(actor=marketer, action="auth.login"),
    ]


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_a_value_a_spreadsheet_would_run_is_neutralised(value):
    assert neutralise(value) == "'" + value


def test_ordinary_values_are_left_alone():
    assert neutralise("john.smith@example.com") == "john.smith@example.com"


def test_an_admin_exports_the_filtered_events_as_csv(client_as_admin, risky):
    response = client_as_admin.get("/audit/export.csv?action=import.uploaded")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert [int(r["id"]) for r in rows] == [risky[0].pk], "only the filtered set"
    row = rows[0]
    assert row["target_label"] == "" and row["target_id"] == "9"
    assert row["description"].startswith("mark uploaded «=HYPERLINK")
    data = json.loads(row["data"])
    assert data["file_name"].startswith("=HYPERLINK"), (
        "inside JSON the value is not at a cell start"
    )


def test_no_csv_cell_starts_with_a_formula_character(client_as_admin, make_event):
    make_event(actor_username="=cmd|' /C calc'!A0", action="auth.login_failed")
    make_event(actor_username="@evil", action="auth.login_failed")
    make_event(actor_username="-2+3", action="auth.login_failed")
    rows = list(csv.reader(io.StringIO(_body(client_as_admin.get("/audit/export.csv")))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    usernames = {row[2] for row in rows[1:]}
    assert {"'=cmd|' /C calc'!A0", "'@evil", "'-2+3"} <= usernames


def test_an_admin_exports_json_lines_with_everything_recorded(client_as_admin, risky):
    response = client_as_admin.get("/audit/export.jsonl?user=mark")
    lines = [json.loads(line) for line in _body(response).splitlines()]
    assert [line["id"] for line in lines] == [risky[0].pk, risky[1].pk]  # oldest first
    assert lines[0]["data"]["table_name"] == "+Customers", "JSON is not for spreadsheets"
    assert lines[0]["hash"] == risky[0].hash


def test_the_export_is_audited_with_the_filters_used(client_as_admin, risky):
    _body(client_as_admin.get("/audit/export.csv?action=import.uploaded&q=HYPER"))
    event = AuditEvent.objects.filter(action="audit.exported").get()
    assert event.actor_username == "ada" and event.data["format"] == "csv"
    assert event.data["filters"] == "action=import.uploaded&q=HYPER"
    assert describe(event) == "ada exported the audit log as CSV (filtered)"


def test_the_export_does_not_include_its_own_event(client_as_admin, risky):
    body = _body(client_as_admin.get("/audit/export.jsonl"))
    assert "audit.exported" not in body


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer"])
def test_only_admins_may_export(request, persona, risky):
    client = request.getfixturevalue(persona)
    for fmt in ("csv", "jsonl"):
        assert client.get(f"/audit/export.{fmt}").status_code == 403
    assert "/audit/export." not in client.get("/audit/").content.decode(), "no export button"
    assert not AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_export_links_carry_the_current_filters(client_as_admin, risky):
    html = client_as_admin.get("/audit/?user=mark&outcome=success").content.decode()
    assert 'href="/audit/export.csv?user=mark&amp;outcome=success"' in html
    assert 'href="/audit/export.jsonl?user=mark&amp;outcome=success"' in html


def test_an_export_with_bad_filters_is_refused_plainly(client_as_admin, risky):
    response = client_as_admin.get("/audit/export.csv?date_from=not-a-date")
    assert response.status_code == 400 and b"Enter a valid date" in response.content


def test_an_unknown_export_format_is_a_404(client_as_admin, risky):
    assert client_as_admin.get("/audit/export.xlsx").status_code == 404
