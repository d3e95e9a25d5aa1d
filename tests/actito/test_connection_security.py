"""The stored API key never follows a new address, travels only over TLS, and a test of the
connection never shows what a foreign server answered."""

from __future__ import annotations

import httpx
import pytest
from django.test import override_settings

from actito_admin.actito import services
from actito_admin.actito.models import Connection, ConnectionCheck
from actito_admin.audit.models import AuditEvent
from tests.actito.test_settings_page import FORM, KEY, NOTHING

pytestmark = pytest.mark.django_db


def _save(client, **changes):
    with override_settings(**NOTHING):
        return client.post("/settings/", {**FORM, **changes})


def test_changing_only_the_address_asks_for_the_key_again_and_keeps_the_old_address(
    client_as_admin,
):
    _save(client_as_admin)
    page = _save(client_as_admin, environment="custom", custom_base_url="https://evil.example",
                 api_key="")  # fmt: skip
    assert "enter the API key again" in page.content.decode()
    row = Connection.objects.get(name="default")
    assert row.environment == "api3" and row.custom_base_url == "", "nothing was saved"


def test_a_new_address_with_the_key_typed_again_is_saved(client_as_admin):
    _save(client_as_admin)
    _save(client_as_admin, environment="api1", api_key=KEY)
    assert Connection.objects.get(name="default").environment == "api1"


def test_a_plain_http_address_is_refused_except_on_this_machine(client_as_admin):
    page = _save(client_as_admin, environment="custom", custom_base_url="http://actito.example")
    assert "Use an https:// address" in page.content.decode()
    assert not Connection.objects.filter(custom_base_url__startswith="http://actito").exists()
    _save(client_as_admin, environment="custom", custom_base_url="http://127.0.0.1:8765")
    assert Connection.objects.get(name="default").custom_base_url == "http://127.0.0.1:8765"


def test_a_connection_test_never_shows_what_a_foreign_server_said(db):
    def foreign(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"message": "internal: db password is hunter2"})

    with override_settings(**NOTHING):
        Connection.objects.create(
            name="default", environment="custom", custom_base_url="https://other.example",
            entity="actito",
        )  # fmt: skip
        from actito_admin.actito.connection import encrypt_secret

        Connection.objects.filter(name="default").update(
            api_key_encrypted=encrypt_secret(KEY), api_key_last4=KEY[-4:]
        )
        check = ConnectionCheck.objects.create(connection=Connection.objects.get(name="default"))
        services.connection_check_perform(check=check, transport=httpx.MockTransport(foreign))
    check.refresh_from_db()
    assert check.status == "failed"
    assert "hunter2" not in check.summary and "hunter2" not in str(check.steps)
    assert "hunter2" not in str(AuditEvent.objects.get(action="connection.tested").data)
    assert "API key" in check.summary
