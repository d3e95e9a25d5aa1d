from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from actito_admin.accounts.roles import role_label, role_of

# The main navigation: (URL name, what people read).
NAV_ITEMS = (
    ("home", _("Home")),
    ("scenarios", _("Scenarios")),
    ("imports", _("Imports")),
    ("audit", _("Audit log")),
    ("connection_settings", _("Settings")),
)


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = list(NAV_ITEMS)
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else ""
    # Lazy: live-status fragments render without the page shell and must not pay the queries.
    return {
        "nav_items": nav,
        "nav_current": current,
        "user_role": SimpleLazyObject(
            lambda: role_label(role_of(user)) if user is not None else ""
        ),
        "sandbox_mode": SimpleLazyObject(_sandbox_mode),
    }


def _sandbox_mode() -> bool:
    try:
        from actito_admin.actito.connection import is_sandbox
    except ImportError:
        return False
    try:
        return is_sandbox()
    except Exception:
        # A badge must never break a page; the Settings page reports connection problems.
        return False
