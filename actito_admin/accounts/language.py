"""The console's language: chosen in the header or on the login page, remembered per person.

Order of precedence: the person's saved choice (Preferences.language, copied into the session at
login), then the language cookie (so the login page keeps a choice made before logging in), then
the browser's Accept-Language (LocaleMiddleware). Technical names from ACTITO are data and never
go through a catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, cast

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

SESSION_KEY = "console_language"


def supported(code: str | None) -> str:
    """`code` if the console speaks it, else ""."""
    return code if code and code in dict(settings.LANGUAGES) else ""


def language_of(user: Any) -> str:
    """The language a person's background work (reports, e-mails) is written in: their saved
    choice, else the console's default."""
    from .models import Preferences

    chosen = Preferences.of(user).language if getattr(user, "pk", None) else ""
    return supported(chosen) or settings.LANGUAGE_CODE


def in_language_of(user: Any) -> translation.override:
    """`with in_language_of(job.requested_by): …` for text written while no request is there."""
    return translation.override(language_of(user))


@receiver(user_logged_in)
def _remember_at_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    from .models import Preferences

    chosen = supported(Preferences.of(user).language)
    if chosen and request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = chosen


class UserLanguageMiddleware:
    """After authentication: a logged-in person's saved language wins over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = ""
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            chosen = supported(request.session.get(SESSION_KEY))
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen:
            # So that the login page after a logout speaks the same language.
            _set_cookie(response, chosen)
        return response


def _samesite() -> Literal["Lax", "Strict", "None"]:
    return cast(Literal["Lax", "Strict", "None"], settings.LANGUAGE_COOKIE_SAMESITE)


def _set_cookie(response: HttpResponse, code: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=_samesite(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )


def remember_choice(request: HttpRequest, response: HttpResponse, code: str) -> None:
    """The session and the cookie follow a choice just saved ("" = the browser's language again)."""
    if request.user.is_authenticated:
        if code:
            request.session[SESSION_KEY] = code
        else:
            request.session.pop(SESSION_KEY, None)
    if code:
        _set_cookie(response, code)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME, samesite=_samesite())


@login_not_required
@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The header's and the login page's language buttons: back to the same page, in `language`."""
    code = supported(request.POST.get("language"))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if not code:
        return response
    if request.user.is_authenticated:
        from .models import Preferences

        preferences = Preferences.of(request.user)
        preferences.language = code
        preferences.save()
    remember_choice(request, response, code)
    return response
