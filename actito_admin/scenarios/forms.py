"""Browser input: every field validated here, services receive clean values only."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actito_admin.actito.schemas import ProfileRef
from actito_admin.listing import DateRangeForm

from .models import Platform, TriggerRun
from .references import (
    MAX_LIST_REFERENCES,
    PROFILE_ID,
    InvalidReference,
    ParsedList,
    parse_reference,
    parse_reference_list,
)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 10,000 e-mail addresses fit many times over


def pasted_or_uploaded(cleaned: dict[str, Any]) -> str:
    """The text of the uploaded file if there is one, else what was pasted."""
    upload = cleaned.get("file")
    if not upload:
        return cleaned.get("text") or ""
    if upload.size > MAX_UPLOAD_BYTES:
        raise forms.ValidationError(_("The file is larger than 5 MB: split it, please."))
    raw = upload.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")  # Excel's usual export


# What marketers know first: the e-mail address, then other keys, ACTITO's own number last.
_KEY_WORDS = {"emailAddress": gettext_lazy("E-mail address (emailAddress)")}


def attribute_choices(key_attributes: list[str]) -> list[tuple[str, str]]:
    keys = sorted(key_attributes, key=lambda name: name != "emailAddress")
    return [
        *[(a, str(_KEY_WORDS.get(a, a))) for a in keys],
        (PROFILE_ID, _("ACTITO's profile number (profileId)")),
    ]


class SearchForm(forms.Form):
    table = forms.ChoiceField(label=gettext_lazy("Profile table"), required=False)
    q = forms.CharField(
        label=gettext_lazy("Scenario name"), required=False, max_length=200, strip=True
    )
    only_triggerable = forms.BooleanField(
        label=gettext_lazy("Only API-triggerable"), required=False
    )
    only_active = forms.BooleanField(label=gettext_lazy("Only active"), required=False)
    # Present once the form was submitted: without it the two filters default to on (an
    # unticked checkbox sends nothing, so "absent" alone cannot mean "off").
    filtered = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data: Any, *, tables: list[str]) -> None:
        data = data.copy() if data else {}
        if not data.get("filtered"):
            data["only_triggerable"] = "on"
            data["only_active"] = "on"
        super().__init__(data)
        cast(forms.ChoiceField, self.fields["table"]).choices = [(t, t) for t in tables]


class ProfileRefForm(forms.Form):
    attribute = forms.ChoiceField(label=gettext_lazy("Identify the profile by"))
    value = forms.CharField(label=gettext_lazy("Value"), max_length=300)

    def __init__(self, *args: Any, key_attributes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["attribute"]).choices = attribute_choices(
            key_attributes
        )

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "attribute" in cleaned and "value" in cleaned:
            try:
                cleaned["ref"] = parse_reference(cleaned["attribute"], cleaned["value"])
            except InvalidReference as exc:
                self.add_error("value", str(exc))
        return cleaned

    @property
    def ref(self) -> ProfileRef:
        return self.cleaned_data["ref"]


class TriggerForm(ProfileRefForm):
    profile_label = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class ListForm(forms.Form):
    attribute = forms.ChoiceField(label=gettext_lazy("The references are"))
    text = forms.CharField(
        label=gettext_lazy("Paste references (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
    )
    file = forms.FileField(
        label=gettext_lazy("…or upload a file (one column, .csv or .txt)"), required=False
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, key_attributes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["attribute"]).choices = attribute_choices(
            key_attributes
        )
        self.initial.setdefault("idempotency_key", uuid.uuid4())

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        text = pasted_or_uploaded(cleaned)
        if not text.strip():
            raise forms.ValidationError(_("Paste some references or choose a file."))
        if "attribute" in cleaned:
            parsed = parse_reference_list(text, cleaned["attribute"])
            if parsed.too_many:
                raise forms.ValidationError(
                    _(
                        "A list can hold at most %(n)s different profiles; this one has more. "
                        "Split it into several lists."
                    )
                    % {"n": number_format(MAX_LIST_REFERENCES, force_grouping=True)}
                )
            if not parsed.references:
                raise forms.ValidationError(_("None of the lines is a valid reference."))
            cleaned["parsed"] = parsed
        return cleaned

    @property
    def parsed(self) -> ParsedList:
        return self.cleaned_data["parsed"]


class HistoryForm(DateRangeForm):
    platform = forms.ChoiceField(
        label=gettext_lazy("Platform"),
        required=False,
        choices=[("", gettext_lazy("Every platform")), *Platform.choices],
    )
    scenario = forms.CharField(label=gettext_lazy("Scenario"), required=False, max_length=200)
    table = forms.CharField(label=gettext_lazy("Table"), required=False, max_length=200)
    user = forms.ModelChoiceField(
        label=gettext_lazy("Requested by"),
        required=False,
        queryset=User.objects.order_by("username"),
        empty_label=gettext_lazy("Anyone"),
    )
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)
    field_order = ("platform", "scenario", "table", "user", "status", "date_from", "date_to")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Any status"))] + [
            (value, label)
            for value, label in TriggerRun.Status.choices
            if value != TriggerRun.Status.DRAFT
        ]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for TriggerRun.objects.filtered()."""
        data = self.cleaned_data
        return {
            "platform": data.get("platform") or "",
            "scenario": data["scenario"].strip(),
            "table": data["table"].strip(),
            "user": data["user"],
            "status": data["status"],
            **self.date_range(),
        }
