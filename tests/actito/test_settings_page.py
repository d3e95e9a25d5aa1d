"""The connection settings page, the effective connection and the connection test."""

from __future__ import annotations

import json

import httpx
import pytest
from django.test import override_settings

from actito_admin.actito import services
from actito_admin.actito.connection import decrypt_secret, get_connection, is_sandbox
from actito_admin.actito.models import Connection, ConnectionCheck
from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe

KEY = "live-key-abcdefgh-WXYZ"
# REDIS_URL off: the governor then lives in the test database, which each test rolls back.
NOTHING = {
    "ACTITO_BASE_URL": "",
    "ACTITO_API_KEY": "",
    "ACTITO_ENTITY": "",
    "SANDBOX_URL": "",
    "REDIS_URL": "",
}
FORM = {
    "environment": "api3",
    "custom_base_url": "",
    "entity": "actito",
    "api_key": KEY,
    "calls_per_minute": "60",
    "max_in_flight": "5",
    "daily_imports_per_table": "12",
    "path_style": "service",
    "timeout_seconds": "20",
}


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer"])
def test_viewers_and_marketers_cannot_see_or_change_the_connection(persona, request):
    client = request.getfixturevalue(persona)
    assert client.get("/settings/").status_code == 403
    assert client.post("/settings/", FORM).status_code == 403
    assert client.post("/settings/test/").status_code == 403
    assert client.get("/settings/usage/").status_code == 403
    assert not Connection.objects.exists(), "a refused request must not store anything"


@override_settings(**NOTHING)
def test_an_admin_sees_every_field_with_a_label_and_help_text(client_as_admin):
    response = client_as_admin.get("/settings/")
    assert response.status_code == 200
    html = response.content.decode()
    for field in (
        "environment",
        "entity",
        "api_key",
        "calls_per_minute",
        "max_in_flight",
        "daily_imports_per_table",
        "path_style",
        "timeout_seconds",
    ):
        assert f'<label for="id_{field}"' in html, f"field {field} has no label"
        assert f'id="id_{field}_helptext"' in html, f"field {field} has no help text"
    assert "Not set up yet" in html
    assert "<script>" not in html and " style=" not in html, "the CSP forbids inline code"


@override_settings(**NOTHING)
def test_saving_stores_the_key_encrypted_shows_its_last_4_and_audits_without_it(
    client_as_admin,
):
    response = client_as_admin.post("/settings/", FORM)
    assert response.status_code == 302
    row = Connection.objects.get()
    assert KEY not in row.api_key_encrypted and decrypt_secret(row.api_key_encrypted) == KEY
    page = client_as_admin.get("/settings/").content.decode()
    assert KEY not in page, "the key must never be shown again"
    assert "WXYZ" in page, "its last 4 characters identify it"
    event = AuditEvent.objects.get(action="connection.updated")
    assert "api_key" in event.data["changed"] and "entity" in event.data["changed"]
    assert event.data["values"]["entity"] == "actito"
    assert KEY not in json.dumps(event.data) and "WXYZ" not in json.dumps(event.data)
    effective = get_connection()
    assert (effective.base_url, effective.entity, effective.timeout_seconds) == (
        "https://api3.actito.com",
        "actito",
        20.0,
    )


@override_settings(**NOTHING)
def test_a_blank_key_keeps_the_stored_one_and_unchanged_settings_are_not_audited(
    client_as_admin,
):
    client_as_admin.post("/settings/", FORM)
    client_as_admin.post("/settings/", {**FORM, "api_key": ""})
    assert decrypt_secret(Connection.objects.get().api_key_encrypted) == KEY
    assert AuditEvent.objects.filter(action="connection.updated").count() == 1


@override_settings(**NOTHING)
def test_a_custom_environment_needs_an_address(client_as_admin):
    response = client_as_admin.post("/settings/", {**FORM, "environment": "custom"})
    assert response.status_code == 422
    assert "Enter the address of the custom environment." in response.content.decode()


@override_settings(
    ACTITO_BASE_URL="https://api1.actito.com",
    ACTITO_API_KEY="env-key-0000-9876",
    ACTITO_ENTITY="envco",
    SANDBOX_URL="http://127.0.0.1:9",
)
def test_environment_values_apply_where_the_database_has_none_and_the_page_says_so(
    client_as_admin,
):
    Connection.objects.create(name="default", entity="dbco")
    effective = get_connection()
    assert effective.base_url == "https://api1.actito.com" and effective.entity == "dbco"
    assert effective.sources == {
        "base_url": "environment",
        "entity": "settings page",
        "api_key": "environment",
    }
    assert not effective.is_sandbox, "a configured key means no sandbox"
    page = client_as_admin.get("/settings/").content.decode()
    assert "<code>ACTITO_BASE_URL</code>" in page and "<code>ACTITO_API_KEY</code>" in page
    assert "env-key-0000-9876" not in page


@override_settings(**{**NOTHING, "SANDBOX_URL": "http://127.0.0.1:8765/"})
def test_with_nothing_configured_the_sandbox_is_the_connection(client_as_viewer):
    effective = get_connection()
    assert (effective.base_url, effective.api_key, effective.entity) == (
        "http://127.0.0.1:8765",
        "sandbox-demo-key",
        "actito",
    )
    assert is_sandbox()
    assert b"badge-sandbox" in client_as_viewer.get("/").content


@override_settings(**NOTHING)
def test_without_sandbox_or_settings_the_connection_is_incomplete(db):
    effective = get_connection()
    assert not effective.is_sandbox and not effective.is_configured
    assert effective.missing == ["environment / base URL", "entity", "API key"]


@override_settings(**{**NOTHING, "SANDBOX_URL": "http://127.0.0.1:8765"})
def test_testing_the_connection_queues_a_task_after_commit_and_polls(
    client_as_admin, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(services, "async_task", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as_admin.post("/settings/test/", HTTP_HX_REQUEST="true")
    check = ConnectionCheck.objects.get()
    assert queued == [("actito_admin.actito.tasks.connection_check_run", check.pk)]
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html, "a running check must poll"
    assert f"/settings/test/{check.pk}/" in html


SANDBOX_TABLES = {
    "profileTables": [
        {"id": str(i), "name": n, "attributes": []}
        for i, n in enumerate(["demodoc", "customers", "prospects"])
    ]
}


def _actito(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/auth/token":
        if request.headers["Authorization"] != "sandbox-demo-key":
            return httpx.Response(401)
        return httpx.Response(200, json={"accessToken": "t", "expiresIn": "900s"})
    if request.url.path == "/entities/v5/entities":
        return httpx.Response(200, json={"entities": [{"id": 1, "name": "actito"}]})
    return httpx.Response(200, json=SANDBOX_TABLES)


@override_settings(**{**NOTHING, "SANDBOX_URL": "http://127.0.0.1:8765"})
def test_a_successful_check_says_what_worked_and_the_poll_stops(
    client_as_admin, monkeypatch, caplog
):
    monkeypatch.setattr(services, "async_task", lambda *args: None)
    check = services.connection_check_request(actor=None)
    from actito_admin.actito import tasks

    original = services.connection_check_perform
    monkeypatch.setattr(
        services,
        "connection_check_perform",
        lambda *, check: original(check=check, transport=httpx.MockTransport(_actito)),
    )
    tasks.connection_check_run(check.pk)
    check.refresh_from_db()
    assert check.status == "ok", check.summary
    assert check.summary == (
        "Token received · entity actito found · 3 profile tables: demodoc, customers, prospects"
    )
    tasks.connection_check_run(check.pk)  # a redelivered task does nothing
    html = client_as_admin.get(f"/settings/test/{check.pk}/").content.decode()
    assert "It works." in html and "hx-trigger" not in html, "a finished check stops polling"
    assert "sandbox-demo-key" not in caplog.text, "the key must never be logged"


@override_settings(**{**NOTHING, "SANDBOX_URL": "http://127.0.0.1:8765"})
def test_the_audit_log_says_who_asked_for_a_connection_test_and_what_it_found(
    admin_user, monkeypatch
):
    monkeypatch.setattr(services, "async_task", lambda *args: None)
    check = services.connection_check_request(actor=admin_user)
    asked = AuditEvent.objects.get(action="connection.test_requested")
    assert describe(asked) == "ada asked to test the ACTITO connection"
    assert asked.outcome == "pending"
    services.connection_check_perform(check=check, transport=httpx.MockTransport(_actito))
    tested = AuditEvent.objects.get(action="connection.tested")
    assert (tested.actor_username, tested.outcome) == ("ada", "success")
    assert describe(tested) == "ada tested the ACTITO connection: it works"
    assert tested.data["summary"] == check.summary


@override_settings(
    **{
        **NOTHING,
        "ACTITO_BASE_URL": "https://api.actito.com",
        "ACTITO_API_KEY": "wrong-key-123456",
        "ACTITO_ENTITY": "actito",
    }
)
def test_a_failed_check_says_why_in_plain_words(db):
    check = ConnectionCheck.objects.create(
        connection=Connection.objects.create(name="default"), status="running"
    )
    services.connection_check_perform(check=check, transport=httpx.MockTransport(_actito))
    assert check.status == "failed"
    assert "did not accept the API key" in check.summary
    tested = AuditEvent.objects.get(action="connection.tested")
    assert tested.outcome == "failure", "a failed test is audited as a failure"
    assert "did not accept the API key" in describe(tested)


@override_settings(**{**NOTHING, "SANDBOX_URL": "http://127.0.0.1:8765"})
def test_polling_the_status_and_the_usage_never_calls_actito(client_as_admin, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a poll must read our database only")

    monkeypatch.setattr("actito_admin.actito.connection.build_client", forbidden)
    monkeypatch.setattr("actito_admin.actito.client.ActitoClient.__init__", forbidden)
    check = ConnectionCheck.objects.create(connection=Connection.objects.create())
    assert client_as_admin.get(f"/settings/test/{check.pk}/").status_code == 200
    usage = client_as_admin.get("/settings/usage/").content.decode()
    assert "0/60 calls this minute · 0/5 in flight" in usage


@override_settings(FIELD_ENCRYPTION_KEY="a-long-random-field-key-for-tests-only")
def test_a_key_stored_before_setting_field_encryption_key_stays_readable(db):
    from actito_admin.actito.connection import encrypt_secret

    with override_settings(FIELD_ENCRYPTION_KEY=""):
        token = encrypt_secret("older-key")
    assert decrypt_secret(token) == "older-key"


def test_the_limits_show_both_figures_actito_documents(client_as_admin):
    page = client_as_admin.get("/settings/").content.decode()
    assert "60 (the original documentation) and 100 (its current limits page)" in page
    assert "12 (the original documentation) and 24 (its current limits page)" in page
