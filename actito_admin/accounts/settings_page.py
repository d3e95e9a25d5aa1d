"""Each person's own settings: their e-mail address and whether long work ends with an e-mail."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from actito_admin.audit.actions import Action
from actito_admin.audit.services import record_event

from .language import remember_choice
from .models import Preferences
from .types import AppRequest


class SettingsForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        required=False,
        help_text=_("Where the console writes to you. Leave it empty to get no e-mail."),
    )
    email_when_done = forms.BooleanField(
        label=_("E-mail me when an import or a list of starts I began ends"),
        required=False,
        help_text=_(
            "Only for work that took more than a minute: the outcome (done, partly done, "
            "refused, failed or unknown), the counts and a link."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The language of my browser"))] + list(settings.LANGUAGES),
        help_text=_("Of the console, and of the e-mails and check reports written for you."),
    )


@require_http_methods(["GET", "POST"])
def my_settings(request: AppRequest) -> HttpResponse:
    user = request.user
    preferences = Preferences.of(user)
    initial: dict[str, Any] = {
        "email": user.email,
        "email_when_done": preferences.email_when_done,
        "language": preferences.language,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changed = [name for name in form.changed_data if name in initial]
        user.email = form.cleaned_data["email"]
        user.save(update_fields=["email"])
        preferences.email_when_done = form.cleaned_data["email_when_done"]
        preferences.language = form.cleaned_data["language"]
        preferences.save()
        if changed:
            # Which settings changed, never the address itself.
            record_event(
                actor=user,
                action=Action.SETTINGS_CHANGED,
                data={"changed": changed},
                request=request,
            )
        messages.success(request, gettext("Your settings are saved."))
        response = redirect("my_settings")
        remember_choice(request, response, preferences.language)
        return response
    return render(request, "accounts/settings.html", {"form": form})
