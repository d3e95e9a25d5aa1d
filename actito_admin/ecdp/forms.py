"""Admin forms: a business unit (the key is write-only) and its catalogue."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from actito_admin.actito.forms import is_loopback

from .fields import TYPES
from .models import BusinessUnit, CustomEvent, Segment

_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,99}$")


def _fields_help() -> str:
    """Built when shown, so it is in the reader's language (a lazy string formatted at import
    time would be fixed in the default language)."""
    return gettext("One per line: name, type, required or optional. Types: %(types)s.") % {
        "types": ", ".join(TYPES)
    }


class BusinessUnitForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100)
    base_url = forms.URLField(
        label=_("Base URL"),
        assume_scheme="https",
        required=False,
        help_text=_("Blank: https://api.ecdp.app (or the built-in sandbox when no key is set)."),
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Write-only: leave blank to keep the stored key. ECDP: Settings → API."),
    )
    clear_api_key = forms.BooleanField(label=_("Remove the stored key"), required=False)
    calls_per_minute = forms.IntegerField(
        label=_("Calls per minute"),
        required=False,
        min_value=1,
        max_value=100_000,
        help_text=_("Blank: 300 (ECDP documents no limit; this is ours)."),
    )
    max_in_flight = forms.IntegerField(
        label=_("Requests at once"),
        required=False,
        min_value=1,
        max_value=50,
        help_text=_("Blank: 5."),
    )
    timeout_seconds = forms.FloatField(
        label=_("Time-out (seconds)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Blank: 15."),
    )

    def __init__(self, *args: Any, current: BusinessUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_base_url(self) -> str:
        url = self.cleaned_data.get("base_url") or ""
        if url and not url.startswith("https://") and not is_loopback(url):
            raise forms.ValidationError(
                _(
                    "Use an https:// address: the API key is sent with every call and must not "
                    "travel unencrypted."
                )
            )
        return url

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        current = self.current
        moved = current is not None and (data.get("base_url") or "") != current.base_url
        keeps_key = not data.get("api_key") and not data.get("clear_api_key")
        if moved and current is not None and current.api_key_encrypted and keeps_key:
            # The stored key never follows a new address on its own.
            self.add_error(
                "api_key",
                _(
                    "You changed the address: enter the API key again for it (the stored key "
                    "is not sent to a new address)."
                ),
            )
        return data


class EventForm(forms.Form):
    event_id = forms.IntegerField(
        label=_("Custom event id"),
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("In ECDP: Automation → Scenarios → Custom events."),
    )
    label = forms.CharField(label=_("Label"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    fields_text = forms.CharField(
        label=_("Data fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=lazy(_fields_help, str)(),
    )

    def __init__(self, *args: Any, unit: Any, instance: CustomEvent | None = None, **kw: Any):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "event_id": instance.event_id,
                "label": instance.label,
                "description": instance.description,
                "fields_text": "\n".join(
                    f"{f['name']}, {f['type']}, {'required' if f.get('required') else 'optional'}"
                    for f in instance.data_fields
                ),
            }
        super().__init__(*args, **kw)
        self.unit, self.instance = unit, instance

    def clean_event_id(self) -> int:
        value = self.cleaned_data["event_id"]
        taken = CustomEvent.objects.filter(business_unit=self.unit, event_id=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This business unit already has event %(id)s.") % {"id": value}
            )
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        declared, seen = [], set()
        by_lower = {t.lower(): t for t in TYPES}
        for n, line in enumerate((cleaned.get("fields_text") or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(",")]
            name = parts[0]
            kind = by_lower.get(parts[1].lower()) if len(parts) > 1 else None
            required = len(parts) > 2 and parts[2].lower() in ("required", "yes", "true")
            if not _FIELD_NAME.match(name):
                self.add_error(
                    "fields_text",
                    _("Line %(n)s: “%(name)s” is not a field name.") % {"n": n, "name": name},
                )
            elif kind is None:
                self.add_error(
                    "fields_text",
                    _("Line %(n)s: give one of the types %(types)s.")
                    % {"n": n, "types": ", ".join(TYPES)},
                )
            elif name in seen:
                self.add_error(
                    "fields_text",
                    _("Line %(n)s: %(name)s is there twice.") % {"n": n, "name": name},
                )
            else:
                seen.add(name)
                declared.append({"name": name, "type": kind, "required": required})
        cleaned["data_fields"] = declared
        return cleaned


class SegmentForm(forms.Form):
    segment_id = forms.IntegerField(
        label=_("Segment id"),
        min_value=1,
        max_value=2**31 - 1,
        help_text=_("In ECDP: Customers → Segmentation, ID column."),
    )
    label = forms.CharField(label=_("Label"), max_length=200)
    note = forms.CharField(label=_("Note (e.g. its size)"), max_length=200, required=False)

    def __init__(self, *args: Any, unit: Any, instance: Segment | None = None, **kw: Any):
        if instance is not None and "initial" not in kw:
            kw["initial"] = {
                "segment_id": instance.segment_id,
                "label": instance.label,
                "note": instance.note,
            }
        super().__init__(*args, **kw)
        self.unit, self.instance = unit, instance

    def clean_segment_id(self) -> int:
        value = self.cleaned_data["segment_id"]
        taken = Segment.objects.filter(business_unit=self.unit, segment_id=value)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("This business unit already has segment %(id)s.") % {"id": value}
            )
        return value
