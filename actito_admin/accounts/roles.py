"""The three roles. Each is a group whose permissions a migration keeps up to date."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import pgettext_lazy

# The group names (stored, and recorded in the audit log): never translated.
VIEWER = "Viewer"
MARKETER = "Marketer"
ADMIN = "Admin"

# What people read for each role.
ROLE_LABELS = {
    VIEWER: pgettext_lazy("role", "Viewer"),
    MARKETER: pgettext_lazy("role", "Marketer"),
    ADMIN: pgettext_lazy("role", "Admin"),
}

_VIEWER_PERMS = ["accounts.view_console"]
_MARKETER_PERMS = [*_VIEWER_PERMS, "accounts.trigger_scenarios", "accounts.run_imports"]
_ADMIN_PERMS = [
    *_MARKETER_PERMS,
    "accounts.manage_connection",
    "accounts.manage_users",
    "accounts.export_audit",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    VIEWER: _VIEWER_PERMS,
    MARKETER: _MARKETER_PERMS,
    ADMIN: _ADMIN_PERMS,
}


def role_of(user: User | AnonymousUser) -> str | None:
    """The highest role a user holds, or None for a user without any."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    for role in (ADMIN, MARKETER, VIEWER):
        if role in names:
            return role
    return None


def role_label(role: str | None) -> str:
    """A role's name in the reader's language ("" for none; an unknown name as it is)."""
    return str(ROLE_LABELS.get(role, role or "")) if role else ""


def ensure_roles(**kwargs: object) -> None:
    """Create the three groups and give them exactly their permissions (idempotent).

    The initial migration creates them; this also runs after every `migrate` and `flush`
    (post_migrate), so the roles always match this file.
    """
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            found = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if found is not None:
                wanted.append(found)
        group.permissions.set(wanted)
