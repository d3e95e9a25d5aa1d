"""FIELD_ENCRYPTION_KEY: long enough, and it really makes SECRET_KEY rotation safe."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import override_settings

from actito_admin.actito.apps import field_encryption_key_is_strong
from actito_admin.actito.connection import decrypt_secret, encrypt_secret
from actito_admin.actito.models import Connection

pytestmark = pytest.mark.django_db
STRONG = "f" * 20 + "0123456789abcdefghij"


def test_a_short_field_encryption_key_is_refused():
    with override_settings(FIELD_ENCRYPTION_KEY="hunter2"):
        errors = field_encryption_key_is_strong()
    assert errors and "at least 32" in errors[0].msg
    with override_settings(FIELD_ENCRYPTION_KEY=STRONG):
        assert field_encryption_key_is_strong() == []


def test_after_reencrypt_secrets_the_secret_key_can_change_without_losing_the_api_key():
    with override_settings(FIELD_ENCRYPTION_KEY="", SECRET_KEY="old-secret-" + "x" * 50):
        Connection.objects.create(name="default", api_key_encrypted=encrypt_secret("live-key-1"))
    with override_settings(FIELD_ENCRYPTION_KEY=STRONG, SECRET_KEY="old-secret-" + "x" * 50):
        call_command("reencrypt_secrets", stdout=open("/dev/null", "w"))  # noqa: SIM115
    token = Connection.objects.get().api_key_encrypted
    with override_settings(FIELD_ENCRYPTION_KEY=STRONG, SECRET_KEY="new-secret-" + "y" * 50):
        assert decrypt_secret(token) == "live-key-1"
