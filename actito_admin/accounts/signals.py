"""Logins, logouts and failed logins go to the audit log."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from actito_admin.audit.services import record_event

from .throttle import note_failure


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
    note_failure(request)
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


# --- privileges -----------------------------------------------------------------------------
# Superuser and staff status cannot be changed in the console (accounts/admin.py), only from the
# command line or a shell: each change is audited whatever the path.
_FLAGS = ("is_superuser", "is_staff")


@receiver(pre_save, sender=User)
def _remember_flags(sender: Any, instance: User, **kwargs: Any) -> None:
    fields = kwargs.get("update_fields")
    if fields is not None and not set(_FLAGS) & set(fields):
        return  # a log-in writing last_login, say: no extra query
    before = None
    if instance.pk is not None:
        before = User.objects.filter(pk=instance.pk).values_list(*_FLAGS).first()
    instance._flags_before = tuple(before) if before else (False, False)  # type: ignore[attr-defined]


@receiver(post_save, sender=User)
def _flags_changed(sender: Any, instance: User, **kwargs: Any) -> None:
    before = getattr(instance, "_flags_before", None)
    after = (instance.is_superuser, instance.is_staff)
    if before is None or tuple(before) == after:
        return
    del instance._flags_before  # type: ignore[attr-defined]
    record_event(
        actor=None,
        action="accounts.privileges_changed",
        target=instance,
        data={
            "username": instance.get_username(),
            "superuser": after[0],
            "staff": after[1],
            "was_superuser": before[0],
            "was_staff": before[1],
        },
    )
