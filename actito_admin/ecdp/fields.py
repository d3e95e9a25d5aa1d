"""ECDP customer identifiers and typed data fields: pure functions, no ORM, no HTTP.

Seed 004: a custom event names its customer by exactly one identifier, and carries
`dataFields` whose `value` is always a string written in the format of its `type`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Identifier kind → (API body field, max length from seed 004, label for people).
IDENTIFIERS: dict[str, tuple[str, int, str | Promise]] = {
    "email": ("customerEmail", 320, gettext_lazy("E-mail address")),
    "phone": ("customerPhone", 20, gettext_lazy("Phone number")),
    "crmId": ("customerCrmId", 128, gettext_lazy("CRM id")),
    "id": ("customerId", 20, gettext_lazy("ECDP customer id")),
    "emailSha256": ("customerEmailSha256", 64, gettext_lazy("SHA-256 of the e-mail address")),
    "emailMd5": ("customerEmailMd5", 32, gettext_lazy("MD5 of the e-mail address")),
}
# The ones a look-up can use (GET /customers/{kind}/{value}); hashes cannot be looked up.
LOOKUP_KINDS = ("email", "phone", "crmId", "id")
HASHES = {"emailSha256": hashlib.sha256, "emailMd5": hashlib.md5}

TYPES = ("String", "Text", "Number", "Money", "Date", "DateTime", "Boolean", "URL")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[0-9]{3,19}")
_HEX = re.compile(r"[0-9a-f]+")
_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)


class InvalidValue(ValueError):
    """What a marketer typed cannot be sent; the message says why in plain words."""


@dataclass(frozen=True)
class CustomerRef:
    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"

    @property
    def body_field(self) -> str:
        return IDENTIFIERS[self.kind][0]

    @classmethod
    def parse(cls, text: str) -> CustomerRef:
        kind, _, value = text.partition("=")
        return cls(kind, value)

    def hashed(self, kind: str) -> CustomerRef:
        """Only the digest of an e-mail address leaves the console (computed here)."""
        if self.kind != "email":
            raise InvalidValue(_("Only an e-mail address can be sent as a hash."))
        return CustomerRef(kind, HASHES[kind](self.value.encode()).hexdigest())


def _enter(kind: str) -> str:
    """What to ask for when the value is blank (whole sentences: word order differs)."""
    return {
        "email": _("Enter the customer's e-mail address."),
        "phone": _("Enter the customer's phone number."),
        "crmId": _("Enter the customer's crm id."),
        "id": _("Enter the customer's ecdp customer id."),
        "emailSha256": _("Enter the customer's sha-256 of the e-mail address."),
        "emailMd5": _("Enter the customer's md5 of the e-mail address."),
    }[kind]


def _too_long(kind: str, limit: int) -> str:
    text = {
        "email": _("A e-mail address has at most %(limit)s characters."),
        "phone": _("A phone number has at most %(limit)s characters."),
        "crmId": _("A crm id has at most %(limit)s characters."),
        "id": _("A ecdp customer id has at most %(limit)s characters."),
        "emailSha256": _("A sha-256 of the e-mail address has at most %(limit)s characters."),
        "emailMd5": _("A md5 of the e-mail address has at most %(limit)s characters."),
    }[kind]
    return text % {"limit": limit}


def _not_a_hash(kind: str, value: str) -> str:
    if kind == "emailSha256":
        return _("“%(value)s” is not a SHA-256 of the e-mail address.") % {"value": value}
    return _("“%(value)s” is not a MD5 of the e-mail address.") % {"value": value}


def parse_customer(kind: str, value: str) -> CustomerRef:
    value = value.strip()
    if kind not in IDENTIFIERS:
        raise InvalidValue(_("“%(kind)s” is not a way to identify a customer.") % {"kind": kind})
    limit = IDENTIFIERS[kind][1]
    if not value:
        raise InvalidValue(_enter(kind))
    if kind == "email":
        value = value.lower()
        if not _EMAIL.fullmatch(value):
            raise InvalidValue(_("“%(value)s” is not an e-mail address.") % {"value": value})
    elif kind == "phone":
        value = re.sub(r"[\s().-]", "", value)
        if not _PHONE.fullmatch(value):
            raise InvalidValue(
                _("“%(value)s” is not a phone number (digits, optionally a leading +).")
                % {"value": value}
            )
    elif kind == "id":
        if not value.isdigit():
            raise InvalidValue(
                _("An ECDP customer id is a number; “%(value)s” is not.") % {"value": value}
            )
        value = str(int(value))
    elif kind in HASHES:
        value = value.lower()
        if len(value) != limit or not _HEX.fullmatch(value):
            raise InvalidValue(_not_a_hash(kind, value))
    if len(value) > limit:
        raise InvalidValue(_too_long(kind, limit))
    return CustomerRef(kind, value)


def clean_value(field_type: str, raw: str) -> str:
    """The string ECDP expects for a value of `field_type`, or InvalidValue.

    Dates are sent as ISO-8601 (ASSUMPTION in ecdp-api.md §4.1, as the customers API does);
    money with two decimals; yes/no as true/false.
    """
    text = (raw or "").strip()
    if field_type in ("String", "Text"):
        return raw or ""
    if not text:
        raise InvalidValue(_("Enter a value."))
    if field_type in ("Number", "Money"):
        try:
            number = Decimal(text.replace(",", ".") if text.count(",") == 1 else text)
        except InvalidOperation:
            raise InvalidValue(_("“%(text)s” is not a number.") % {"text": text}) from None
        if not number.is_finite():
            raise InvalidValue(_("“%(text)s” is not a number.") % {"text": text})
        if field_type == "Money":
            if number.as_tuple().exponent < -2:  # type: ignore[operator]
                raise InvalidValue(_("“%(text)s” has more than two decimals.") % {"text": text})
            return f"{number:.2f}"
        return (
            format(number.normalize(), "f") if number != number.to_integral() else str(int(number))
        )
    if field_type == "Date":
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidValue(
                _("“%(text)s” is not a date (YYYY-MM-DD).") % {"text": text}
            ) from None
    if field_type == "DateTime":
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidValue(
                _("“%(text)s” is not a date and time (YYYY-MM-DDTHH:MM).") % {"text": text}
            ) from None
        return moment.isoformat().replace("+00:00", "Z")
    if field_type == "Boolean":
        lowered = text.lower()
        if lowered in ("true", "yes", "1", "oui", "ja"):
            return "true"
        if lowered in ("false", "no", "0", "non", "nee", "nein"):
            return "false"
        raise InvalidValue(_("“%(text)s” is not yes or no.") % {"text": text})
    if field_type == "URL":
        if not _URL.fullmatch(text):
            raise InvalidValue(_("“%(text)s” is not a web address (https://…).") % {"text": text})
        return text
    raise InvalidValue(_("Unknown data field type “%(type)s”.") % {"type": field_type})


def clean_data_fields(
    declared: list[dict], values: dict[str, str]
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """Check `values` against an event's declared fields.

    Returns (dataFields to send, errors by field name). Blank optional fields are left out.
    """
    fields: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    for spec in declared:
        name, field_type = spec["name"], spec["type"]
        raw = values.get(name, "")
        if raw is None or not str(raw).strip():
            if spec.get("required"):
                errors[name] = _("This field is required by the event.")
            continue
        try:
            fields.append({"name": name, "type": field_type, "value": clean_value(field_type, raw)})
        except InvalidValue as exc:
            errors[name] = str(exc)
    return fields, errors
