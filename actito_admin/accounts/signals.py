"""Logins, logouts and failed logins go to the audit log."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from actito_admin.audit.services import record_event


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(actor=user, action="auth.login", request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(actor=user, action="auth.logout", request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event(
        actor=None,
        actor_username=username,
        action="auth.login_failed",
        outcome="failure",
        data={"username": username},
        request=request,
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: HttpRequest, username: str, **kwargs: Any) -> None:
    record_event(
        actor=None,
        actor_username=username or "",
        action="auth.locked_out",
        outcome="denied",
        data={"username": username},
        request=request,
    )
