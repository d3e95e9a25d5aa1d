"""Identifiers and typed data fields are checked before sending; a business unit's key is
stored encrypted and its limits are governed like ACTITO's, under its own scope."""

from __future__ import annotations

import pytest

from actito_admin.actito.connection import encrypt_secret, get_connection
from actito_admin.ecdp.connection import effective, get_governor
from actito_admin.ecdp.fields import InvalidValue, clean_data_fields, clean_value, parse_customer
from actito_admin.ecdp.models import BusinessUnit


@pytest.mark.parametrize(
    ("field_type", "raw", "sent"),
    [
        ("Number", "42", "42"),
        ("Number", "3,5", "3.5"),
        ("Money", "19.9", "19.90"),
        ("Date", "2026-12-24", "2026-12-24"),
        ("DateTime", "2026-12-24T18:30", "2026-12-24T18:30:00"),
        ("DateTime", "2026-12-24T18:30:00Z", "2026-12-24T18:30:00Z"),
        ("Boolean", "yes", "true"),
        ("Boolean", "false", "false"),
        ("URL", "https://example.com/x?y=1", "https://example.com/x?y=1"),
        ("String", "WELCOME10", "WELCOME10"),
    ],
)
def test_typed_values_are_sent_in_the_format_ecdp_expects(field_type, raw, sent):
    assert clean_value(field_type, raw) == sent


@pytest.mark.parametrize(
    ("field_type", "raw"),
    [
        ("Number", "ten"),
        ("Money", "1.999"),
        ("Date", "24/12/2026"),
        ("DateTime", "tomorrow"),
        ("Boolean", "maybe"),
        ("URL", "example.com"),
    ],
)
def test_badly_typed_values_are_refused_before_sending(field_type, raw):
    with pytest.raises(InvalidValue):
        clean_value(field_type, raw)


def test_a_missing_required_field_is_named_and_blank_optional_ones_are_left_out():
    declared = [
        {"name": "voucherCode", "type": "String", "required": True},
        {"name": "amount", "type": "Money", "required": False},
    ]
    fields, errors = clean_data_fields(declared, {"amount": ""})
    assert fields == [] and set(errors) == {"voucherCode"}


@pytest.mark.parametrize(
    ("kind", "value"),
    [("email", "not-an-address"), ("id", "abc"), ("phone", "call me"), ("crmId", "x" * 129)],
)
def test_customer_identifiers_are_checked_against_seed_004(kind, value):
    with pytest.raises(InvalidValue):
        parse_customer(kind, value)


def test_an_email_is_lower_cased_and_a_phone_loses_its_spaces():
    assert str(parse_customer("email", " Jane@Example.com ")) == "email=jane@example.com"
    assert str(parse_customer("phone", "+32 470 12 34 56")) == "phone=+32470123456"


@pytest.mark.django_db
def test_a_business_unit_has_default_limits_and_its_own_governor_scope(settings):
    settings.SANDBOX_URL = ""
    unit = BusinessUnit.objects.create(
        label="Benelux", api_key_encrypted=encrypt_secret("k-123456789")
    )
    bu = effective(unit)
    assert (bu.calls_per_minute, bu.max_in_flight) == (300, 5)
    assert bu.base_url == "https://api.ecdp.app" and bu.api_key == "k-123456789"
    assert "k-123456789" not in repr(bu) and "k-123456789" not in unit.api_key_encrypted
    governor = get_governor(bu)
    assert governor.scope.startswith("ecdp:") and governor.scope != get_connection().scope
    assert governor.limits.calls_per_minute == 300


@pytest.mark.django_db
def test_a_business_unit_without_key_uses_the_sandbox_when_there_is_one(settings):
    settings.SANDBOX_URL = "http://127.0.0.1:9999"
    bu = effective(BusinessUnit.objects.create(label="Demo"))
    assert bu.is_sandbox and bu.base_url == "http://127.0.0.1:9999/ecdp" and not bu.problem
    settings.SANDBOX_URL = ""
    assert "no API key" in effective(BusinessUnit.objects.get(label="Demo")).problem
