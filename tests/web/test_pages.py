"""Every page needs a login; the shell is safe (CSP, no inline script) and helpful."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

# The language buttons work before logging in too (the login page has them); POST only.
PUBLIC = {"login", "healthz", "choose_language"}


def _named_routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """(name, example path) for every named route of the project, with dummy path arguments."""
    resolver = resolver or get_resolver()
    routes = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            routes += _named_routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            path = "/" + prefix + str(entry.pattern)
            path = re.sub(r"<int:[^>]+>", "1", path)
            path = re.sub(r"<(?:str:|slug:|uuid:)?[^>]+>", "x", path)
            path = path.replace("^", "").replace("$", "")
            routes.append((entry.name, path))
    return routes


ROUTES = [r for r in _named_routes() if r[0] not in PUBLIC]


@pytest.mark.parametrize(("name", "path"), ROUTES, ids=[r[0] for r in ROUTES])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name, path):
    response = client.get(path)
    assert response.status_code == 302, (
        f"{path} ({name}) answered {response.status_code} to an anonymous visitor"
    )
    assert response["Location"].startswith("/accounts/login/"), f"{path} redirected elsewhere"


def test_the_django_admin_also_needs_a_login(client, db):
    response = client.get("/django-admin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_health_endpoint_reports_database_and_task_queue_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["database"]["ok"] is True
    assert body["task_queue"]["ok"] is True
    assert body["task_queue"]["broker"] in {"orm", "redis"}
    # No qcluster runs in this test: the page still answers 200 but says what is wrong.
    assert body["status"] == "degraded", body
    assert "No task worker is running" in body["task_queue"]["problem"]


def test_health_endpoint_answers_503_when_the_database_is_down(client, db, monkeypatch):
    from actito_admin.web import views

    monkeypatch.setattr(
        views, "database_health", lambda: {"ok": False, "vendor": "x", "error": "OperationalError"}
    )
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["status"] == "error"


def test_every_page_has_a_content_security_policy_without_inline_script(client_as_admin):
    response = client_as_admin.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize(
    "path", ["/", "/scenarios/", "/imports/", "/audit/", "/settings/", "/accounts/login/"]
)
def test_pages_contain_no_inline_script_or_style(client_as_admin, path):
    html = client_as_admin.get(path).content.decode()
    for script in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in script, f"{path} has an inline <script>: {script}"
    assert not re.search(r"\sstyle=", html), f"{path} has an inline style attribute"
    assert not re.search(r"\son[a-z]+=", html), f"{path} has an inline event handler"


def test_the_shell_sends_the_csrf_token_with_every_htmx_request(client_as_viewer):
    html = client_as_viewer.get("/").content.decode()
    assert re.search(r"<body hx-headers='\{\"x-csrftoken\": \"[^\"]+\"\}'", html), (
        "base.html must put the CSRF header on <body> for htmx"
    )
    assert "/static/vendor/htmx/htmx.min.js" in html, "htmx must come from our own static files"


def test_the_shell_shows_navigation_user_and_role(client_as_marketer):
    html = client_as_marketer.get("/").content.decode()
    for label in ["Home", "Scenarios", "Imports", "Audit log"]:
        assert f">{label}</a>" in html, f"navigation lacks {label}"
    assert "mark" in html and "Marketer" in html, "the current user and role must be shown"
    assert ">Settings</a>" not in html, "Settings is for admins only and must be hidden"


def test_home_shows_recent_activity_from_the_audit_log_but_not_log_ins(
    client_as_viewer, viewer, admin_user
):
    from actito_admin.audit.services import record_event

    record_event(actor=admin_user, action="connection.updated", data={"changed": ["entity"]})
    for _ in range(12):
        record_event(actor=viewer, action="auth.login")
        record_event(actor=viewer, action="auth.logout")
    html = client_as_viewer.get("/").content.decode()
    assert "Recent activity" in html
    assert "changed the ACTITO connection settings" in html, "log-ins must not push it out"
    assert "logged in" not in html and "logged out" not in html


def test_an_unknown_page_gets_a_friendly_404(client_as_viewer):
    response = client_as_viewer.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


def test_home_hides_audit_purges_from_those_who_cannot_see_them(client_as_viewer, admin_user):
    from actito_admin.audit.services import record_event

    record_event(actor=admin_user, action="audit.purged", data={"removed": 3})
    html = client_as_viewer.get("/").content.decode()
    assert "audit.purged" not in html, "viewers must not see purge records on the home page"


def test_a_client_cannot_name_its_own_request_id_without_a_trusted_proxy(
    client_as_viewer, settings
):
    settings.TRUSTED_PROXY_COUNT = 0
    response = client_as_viewer.get("/", HTTP_X_REQUEST_ID="forged-request-id-123")
    assert response["X-Request-ID"] != "forged-request-id-123"
    settings.TRUSTED_PROXY_COUNT = 1
    response = client_as_viewer.get("/", HTTP_X_REQUEST_ID="proxy-request-id-123")
    assert response["X-Request-ID"] == "proxy-request-id-123"
