"""Browser input for ECDP starts: the customer, the event's typed data fields, lists, segments."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actito_admin.ecdp.customer_list import MAX_CUSTOMERS, ParsedCustomers, parse_customers
from actito_admin.ecdp.fields import (
    IDENTIFIERS,
    LOOKUP_KINDS,
    CustomerRef,
    InvalidValue,
    clean_data_fields,
    parse_customer,
)
from actito_admin.ecdp.models import CustomEvent, Segment

from .forms import pasted_or_uploaded

KIND_CHOICES = [(kind, IDENTIFIERS[kind][2]) for kind in LOOKUP_KINDS]
HASH_CHOICES = [
    ("", _("Send the e-mail address itself")),
    ("emailSha256", _("Send only its SHA-256 (computed here)")),
    ("emailMd5", _("Send only its MD5 (computed here)")),
]
FIELD_PREFIX = "field_"


def _widget(field_type: str) -> forms.Widget:
    if field_type == "Number":
        return forms.NumberInput(attrs={"step": "any"})
    if field_type == "Money":
        return forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
    if field_type == "Date":
        return forms.DateInput(attrs={"type": "date"})
    if field_type == "DateTime":
        return forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"})
    if field_type == "URL":
        return forms.URLInput(attrs={"placeholder": "https://…"})
    if field_type == "Text":
        return forms.Textarea(attrs={"rows": 3})
    return forms.TextInput()


_TYPE_HELP = {
    "Number": _("A number."),
    "Money": _("An amount with at most 2 decimals."),
    "Date": _("A date."),
    "DateTime": _("A date and time (sent as ISO-8601)."),
    "Boolean": _("Yes or no."),
    "URL": _("A web address starting with https://."),
    "Text": _("Any text."),
    "String": _("Short text."),
}


class DataFieldsMixin:
    """One typed input per data field the event declares; checked with ecdp.fields."""

    event: CustomEvent

    def add_data_fields(self, event: CustomEvent) -> None:
        self.event = event
        for spec in event.declared:
            field_type = spec["type"]
            name = FIELD_PREFIX + spec["name"]
            label = f"{spec['name']} ({field_type})"
            if field_type == "Boolean":
                field: forms.Field = forms.ChoiceField(
                    label=label,
                    required=False,
                    choices=[("", _("— not given —")), ("true", _("Yes")), ("false", _("No"))],
                )
            else:
                field = forms.CharField(
                    label=label, required=False, max_length=4000, widget=_widget(field_type)
                )
            if spec.get("required"):
                field.widget.attrs["required"] = "required"
                field.label = f"{label} *"
            field.help_text = _TYPE_HELP.get(field_type, "")
            self.fields[name] = field  # type: ignore[attr-defined]

    def data_field_names(self) -> list[str]:
        return [FIELD_PREFIX + spec["name"] for spec in self.event.declared]

    def clean_data_fields(self, cleaned: dict[str, Any]) -> None:
        values = {
            spec["name"]: cleaned.get(FIELD_PREFIX + spec["name"]) or ""
            for spec in self.event.declared
        }
        fields, errors = clean_data_fields(self.event.declared, values)
        for name, message in errors.items():
            self.add_error(FIELD_PREFIX + name, message)  # type: ignore[attr-defined]
        cleaned["data_fields"] = fields


class CustomerForm(DataFieldsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Identify the customer by"), choices=KIND_CHOICES)
    value = forms.CharField(label=_("Value"), max_length=320)
    send_hash = forms.ChoiceField(
        label=_("What is sent for an e-mail address"), choices=HASH_CHOICES, required=False
    )

    def __init__(self, *args: Any, event: CustomEvent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_data_fields(event)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "kind" in cleaned and "value" in cleaned:
            try:
                cleaned["lookup_ref"] = parse_customer(cleaned["kind"], cleaned["value"])
                hash_as = cleaned.get("send_hash") or ""
                if hash_as and cleaned["kind"] != "email":
                    self.add_error("send_hash", _("Only an e-mail address can be hashed."))
                else:
                    ref = cleaned["lookup_ref"]
                    cleaned["ref"] = ref.hashed(hash_as) if hash_as else ref
            except InvalidValue as exc:
                self.add_error("value", str(exc))
        self.clean_data_fields(cleaned)
        return cleaned

    @property
    def ref(self) -> CustomerRef:
        return self.cleaned_data["ref"]


class EventSendForm(CustomerForm):
    customer_label = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class CustomerListForm(forms.Form):
    kind = forms.ChoiceField(label=_("The first column is"), choices=KIND_CHOICES)
    send_hash = forms.ChoiceField(
        label=_("What is sent for e-mail addresses"), choices=HASH_CHOICES, required=False
    )
    text = forms.CharField(
        label=_("Paste the list (a header row names the data-field columns)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(label=_("…or upload a CSV file"), required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, event: CustomEvent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        text = pasted_or_uploaded(cleaned)
        if not text.strip():
            raise forms.ValidationError(_("Paste some customers or choose a file."))
        hash_as = cleaned.get("send_hash") or ""
        if hash_as and cleaned.get("kind") != "email":
            self.add_error("send_hash", _("Only e-mail addresses can be hashed."))
            return cleaned
        if "kind" in cleaned:
            parsed = parse_customers(text, cleaned["kind"], self.event.declared, hash_as=hash_as)
            if parsed.too_many:
                raise forms.ValidationError(
                    _("A list can hold at most %(n)s different customers; this one has more.")
                    % {"n": f"{MAX_CUSTOMERS:,}"}
                )
            if not parsed.items:
                raise forms.ValidationError(
                    _("None of the rows can be sent. %(why)s")
                    % {
                        "why": "; ".join(
                            gettext("line %(n)s: %(why)s") % {"n": n, "why": w}
                            for n, _v, w in parsed.invalid[:5]
                        )
                    }
                )
            cleaned["parsed"] = parsed
            cleaned["reference_kind"] = hash_as or cleaned["kind"]
        return cleaned

    @property
    def parsed(self) -> ParsedCustomers:
        return self.cleaned_data["parsed"]


class _SegmentChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.label} (id {obj.segment_id}{', ' + obj.note if obj.note else ''})"


class SegmentsForm(DataFieldsMixin, forms.Form):
    segments = _SegmentChoices(
        label=_("Segments"), queryset=Segment.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    confirm_label = forms.CharField(label=_("Type the event's label to confirm"), required=False)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, event: CustomEvent, confirming: bool = False, **kw: Any):
        super().__init__(*args, **kw)
        self.confirming = confirming
        segments = cast(_SegmentChoices, self.fields["segments"])
        segments.queryset = event.business_unit.segments.all()
        self.initial.setdefault("idempotency_key", uuid.uuid4())
        self.add_data_fields(event)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        self.clean_data_fields(cleaned)
        if self.confirming:
            typed = " ".join((cleaned.get("confirm_label") or "").split())
            if typed.casefold() != " ".join(self.event.label.split()).casefold():
                self.add_error(
                    "confirm_label",
                    _("Type «%(label)s» exactly to confirm.") % {"label": self.event.label},
                )
        return cleaned
