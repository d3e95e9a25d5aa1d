"""Users in the Django admin: the role is the only lever.

An Admin (a role, not a superuser) manages people here. Django's stock user admin would also show
"Superuser status", "Staff status", groups and single permissions: an Admin could make anyone,
themselves included, a superuser and from there run code on the task workers (a django-q
Schedule). So this form offers the role and nothing else that grants rights, an Admin cannot
change or take over a superuser's account, and the task queue's models are not in the web admin
at all (operators use `manage.py qinfo` / `qmonitor`).
"""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actito_admin.audit.services import record_event

from .roles import ADMIN, MARKETER, VIEWER, role_label

ROLE_CHOICES = [
    ("", gettext_lazy("No role (cannot use the console)")),
    (VIEWER, gettext_lazy("Viewer — sees everything, changes nothing")),
    (MARKETER, gettext_lazy("Marketer — also starts scenarios and runs imports")),
    (ADMIN, gettext_lazy("Admin — also manages the connection, users and audit exports")),
]


def role_in_groups(user: User) -> str:
    """The role a user holds through their groups ("" for none); superuser status aside."""
    if user.pk is None:
        return ""
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in (ADMIN, MARKETER, VIEWER) if role in names), "")


class _RoleMixin(forms.Form):
    role = forms.ChoiceField(
        choices=ROLE_CHOICES,
        required=False,
        label=gettext_lazy("Role"),
        help_text=gettext_lazy(
            "What this person may do in the console. The role is the only way to grant rights here."
        ),
    )


class ConsoleUserChangeForm(_RoleMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email", "is_active")  # type: ignore[assignment]  # stubs type Meta.fields as str

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = role_in_groups(self.instance)


class ConsoleUserCreationForm(_RoleMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)


class ConsoleUserAdmin(UserAdmin):
    form = ConsoleUserChangeForm
    add_form = ConsoleUserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Person"), {"fields": ("first_name", "last_name", "email")}),
        (gettext_lazy("Access"), {"fields": ("role", "is_active")}),
        (gettext_lazy("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2", "role"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "first_name", "last_name", "email", "role_name", "is_active")
    list_filter = ("is_active", "groups")
    filter_horizontal = ()

    actions = ["unlock"]

    @admin.action(
        description=gettext_lazy("Unlock the selected accounts (after too many failed log-ins)")
    )
    def unlock(self, request: HttpRequest, queryset: Any) -> None:
        from axes.utils import reset

        for user in queryset:
            if reset(username=user.get_username()):
                record_event(
                    actor=request.user,
                    action="accounts.unlocked",
                    target=user,
                    data={"username": user.get_username()},
                    request=request,
                )
        self.message_user(request, _("The selected accounts can log in again."))

    @admin.display(description=gettext_lazy("Role"))
    def role_name(self, obj: User) -> str:
        return _("Superuser") if obj.is_superuser else role_label(role_in_groups(obj)) or "—"

    def _guards_superuser(self, request: HttpRequest, obj: User | None) -> bool:
        # A superuser's account (password included) is out of reach of anyone who is not one.
        return obj is not None and obj.is_superuser and not request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._guards_superuser(request, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return not self._guards_superuser(request, obj) and super().has_delete_permission(
            request, obj
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user: User = form.instance
        before = role_in_groups(user) if change else ""
        after = form.cleaned_data.get("role", "")
        if before == after:
            return
        with transaction.atomic():
            user.groups.set([Group.objects.get(name=after)] if after else [])
            record_event(
                actor=request.user,
                action="accounts.role_changed",
                target=user,
                data={"username": user.get_username(), "from": before, "to": after},
                request=request,
            )


with contextlib.suppress(NotRegistered):
    admin.site.unregister(User)
admin.site.register(User, ConsoleUserAdmin)


def _remove_task_queue_models() -> None:
    """django-q's models run or describe code on the workers: never editable from the web."""
    from django_q import models as q_models

    for name in ("Schedule", "Success", "Failure", "OrmQ", "Task"):
        model = getattr(q_models, name, None)
        if model is not None:
            with contextlib.suppress(NotRegistered):
                admin.site.unregister(model)


_remove_task_queue_models()
