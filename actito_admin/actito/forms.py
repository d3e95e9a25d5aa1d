from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Connection, Environment, PathStyle

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK


class ConnectionForm(forms.Form):
    """The connection settings. Blank fields fall back to the ACTITO_* environment variables."""

    environment = forms.ChoiceField(
        label=_("ACTITO environment"),
        choices=Environment.choices,
        required=False,
        help_text=_(
            "Where your licence lives: ACTITO shows it under “View the API key” in "
            "“Manage API users”. Leave unset to use ACTITO_BASE_URL or the built-in sandbox."
        ),
    )
    custom_base_url = forms.URLField(
        label=_("Custom base URL"),
        required=False,
        assume_scheme="https",
        help_text=_(
            "Only with “Custom URL”: the host root, e.g. https://test.actito.be "
            "(without /v4 or /v5)."
        ),
    )
    entity = forms.CharField(
        label=_("Entity"),
        max_length=100,
        required=False,
        help_text=_("The entity's name (not its number), e.g. “actito”. Blank: ACTITO_ENTITY."),
    )
    api_key = forms.CharField(
        label=_("API key"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Leave blank to keep the current key. It is stored encrypted and never shown "
            "again: only its last 4 characters are."
        ),
    )
    clear_api_key = forms.BooleanField(
        label=_("Remove the stored API key"),
        required=False,
        help_text=_("Then ACTITO_API_KEY from the environment is used, if set."),
    )
    calls_per_minute = forms.IntegerField(
        label=_("Calls per minute"),
        min_value=1,
        max_value=6000,
        required=False,
        help_text=_(
            "Most ACTITO calls this console makes in any minute, from all its processes. "
            "ACTITO's documents give two figures per licence: 60 (the original documentation) and "
            "100 (its current limits page). Blank: ACTITO_CALLS_PER_MINUTE (60, the safer one); "
            "raise it to 100 if your licence allows it."
        ),
    )
    max_in_flight = forms.IntegerField(
        label=_("Requests at once"),
        min_value=1,
        max_value=50,
        required=False,
        help_text=_("ACTITO refuses a 6th simultaneous request per licence. Blank: 5."),
    )
    daily_imports_per_table = forms.IntegerField(
        label=_("Imports per table per day"),
        min_value=1,
        max_value=1000,
        required=False,
        help_text=_(
            "Bulk imports per profile table per day (UTC). ACTITO's documents give 12 "
            "(the original documentation) and 24 (its current limits page), more with extension "
            "packs. Blank: 12, the safer one. When ACTITO answers that the day's imports are used "
            "up, the console stops for that table until midnight UTC, whatever it counted."
        ),
    )
    path_style = forms.ChoiceField(
        label=_("Address style"),
        choices=PathStyle.choices,
        initial=PathStyle.SERVICE,
        help_text=_("Keep the recommended style unless ACTITO support tells you otherwise."),
    )
    timeout_seconds = forms.FloatField(
        label=_("Timeout (seconds)"),
        min_value=1,
        max_value=300,
        required=False,
        help_text=_(
            "How long to wait for ACTITO on each call. Blank: ACTITO_TIMEOUT_SECONDS (30)."
        ),
    )

    def __init__(self, *args: Any, current: Connection | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current = current

    def clean_custom_base_url(self) -> str:
        url = self.cleaned_data.get("custom_base_url") or ""
        # The API key travels with every call: only over TLS (the sandbox on this machine aside).
        if url and urlsplit(url).scheme != "https" and not is_loopback(url):
            raise forms.ValidationError(
                gettext(
                    "Use an https:// address: the API key is sent with every call and must not "
                    "travel unencrypted."
                )
            )
        return url

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        custom = data.get("environment") == Environment.CUSTOM
        if custom and not data.get("custom_base_url"):
            self.add_error(
                "custom_base_url", gettext("Enter the address of the custom environment.")
            )
        if data.get("custom_base_url") and not custom:
            self.add_error(
                "custom_base_url", gettext("Choose “Custom URL” above to use this address.")
            )
        if data.get("api_key") and data.get("clear_api_key"):
            self.add_error(
                "clear_api_key", gettext("Either enter a new key or remove it, not both.")
            )
        current = self.current
        moved = current is not None and (
            (data.get("environment") or "") != (current.environment or "")
            or (data.get("custom_base_url") or "") != (current.custom_base_url or "")
        )
        keeps_key = not data.get("api_key") and not data.get("clear_api_key")
        if moved and current is not None and current.api_key_encrypted and keeps_key:
            # The stored key never follows a new address on its own: someone who may edit the
            # settings must not be able to send it to a server of their choosing.
            self.add_error(
                "api_key",
                gettext(
                    "You changed where the console connects: enter the API key again for the new "
                    "address (the stored key is not sent to a new address)."
                ),
            )
        return data
