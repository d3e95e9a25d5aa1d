"""Request id and Content Security Policy."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from actito_admin.types import AppRequest

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

# No inline script and no inline style anywhere: everything comes from our own static files.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)


class RequestIdMiddleware:
    """Gives every request an id (kept from a trusted proxy's X-Request-ID when well-formed)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Only a proxy we trust may name the request (its id then links our log to the
        # proxy's); from anyone else the header could forge or muddle audit entries.
        incoming = request.headers.get("X-Request-ID", "") if settings.TRUSTED_PROXY_COUNT else ""
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        cast(AppRequest, request).request_id = request_id
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response
