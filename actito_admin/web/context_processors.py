from typing import Any

from django.http import HttpRequest

from actito_admin.accounts.roles import role_of


def console(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav = [
        ("home", "Home"),
        ("scenarios", "Scenarios"),
        ("imports", "Imports"),
        ("audit", "Audit log"),
        ("connection_settings", "Settings"),
    ]
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else ""
    return {
        "nav_items": nav,
        "nav_current": current,
        "user_role": role_of(user) if user is not None else None,
        "sandbox_mode": _sandbox_mode(),
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
