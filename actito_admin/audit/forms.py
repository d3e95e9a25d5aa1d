"""The review filters, read from the query string so that a filtered view can be shared."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actito_admin.listing import DateRangeForm

from .chain import canonical_time
from .models import AuditEvent
from .sentences import known_actions

PAGE_SIZE = 50
_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?$")
FILTER_FIELDS = ("user", "action", "outcome", "date_from", "date_to", "target_type", "target_id")


def action_choices() -> list[tuple[str, Any]]:
    actions = known_actions()
    families = sorted({a.rsplit(".", 1)[0] + ".*" for a in actions})
    return [
        ("", _("Any action")),
        (
            _("Families"),
            [(f, _("All %(family)s events") % {"family": f[:-2]}) for f in families],
        ),
        (_("Actions"), [(a, a) for a in actions]),
    ]


class AuditFilterForm(DateRangeForm):
    user = forms.CharField(required=False, max_length=150, label=gettext_lazy("User"))
    action = forms.CharField(required=False, max_length=64, label=gettext_lazy("Action"))
    outcome = forms.ChoiceField(
        required=False,
        choices=[("", gettext_lazy("Any outcome")), *AuditEvent.Outcome.choices],
        label=gettext_lazy("Outcome"),
    )
    target_type = forms.CharField(required=False, max_length=64, label=gettext_lazy("Target type"))
    target_id = forms.CharField(required=False, max_length=128, label=gettext_lazy("Target id"))
    q = forms.CharField(required=False, max_length=200, label=gettext_lazy("Search"))
    field_order = ("user", "action", "outcome", "date_from", "date_to", "target_type")
    before = forms.CharField(required=False, max_length=80)

    def clean_action(self) -> str:
        action = self.cleaned_data["action"].strip()
        if action and not _ACTION.match(action):
            raise forms.ValidationError(_("Pick an action from the list."))
        return action

    def clean_before(self) -> tuple[dt.datetime, int] | None:
        raw = self.cleaned_data["before"]
        if not raw:
            return None
        stamp, _sep, pk = raw.rpartition("_")
        try:
            when = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
            return when, int(pk)
        except ValueError:
            raise forms.ValidationError(
                _("That page link is damaged; start again from the newest events.")
            ) from None

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "user": data["user"].strip(),
            "action": data["action"],
            "outcome": data["outcome"],
            **self.date_range(),
            "target_type": data["target_type"].strip(),
            "target_id": data["target_id"].strip(),
            "text": data["q"].strip(),
        }

    def query_string(self, **extra: str) -> str:
        """The current filters (without the page cursor) as a query string, plus `extra`."""
        params = {
            name: self.data.get(name, "")
            for name in (*FILTER_FIELDS, "q")
            if self.data.get(name, "")
        }
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in (*FILTER_FIELDS, "q"))


def cursor_for(event: AuditEvent) -> str:
    return f"{canonical_time(event.created_at)}_{event.pk}"
