from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class ConsoleRoleMiddleware:
    """A logged-in user without any role sees a plain explanation instead of the console.

    Runs after LoginRequiredMiddleware, so anonymous users have already been sent to login.
    The Django admin keeps its own permission check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if not getattr(view_func, "login_required", True):
            return None
        if request.resolver_match and request.resolver_match.app_name == "admin":
            return None
        user = request.user
        if user.is_authenticated and not user.has_perm("accounts.view_console"):
            return render(request, "accounts/no_role.html", status=403)
        return None
