"""Personas and shared fixtures.

Every test runs with DEBUG off and no manifest storage (no collectstatic needed).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

# End-to-end fixtures (sandbox over HTTP, a real task cluster), shared by every feature.
pytest_plugins = ["tests.e2e"]

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    # Personas are created per test; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_per_address_login_pause(settings) -> None:
    # Failed log-ins of the whole suite come from 127.0.0.1 and, on Redis, the counter outlives
    # each test: only the tests about it set a real limit (with an address of their own).
    settings.LOGIN_FAILURES_PER_ADDRESS = 1_000_000


@pytest.fixture(autouse=True)
def _english_unless_asked():
    # A request in French or Dutch leaves its language active on the thread (a server's next
    # request sets its own); each test starts in the console's default language.
    from django.utils import translation

    translation.activate("en-gb")
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


def make_user(username: str, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(db) -> User:
    return make_user("vera", "Viewer", first_name="Vera")


@pytest.fixture
def marketer(db) -> User:
    return make_user("mark", "Marketer", first_name="Mark")


@pytest.fixture
def admin_user(db) -> User:
    return make_user("ada", "Admin", first_name="Ada")


@pytest.fixture
def outsider(db) -> User:
    """Logged in, but without any role."""
    return make_user("otto")


def _client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_as_viewer(viewer) -> Client:
    return _client_for(viewer)


@pytest.fixture
def client_as_marketer(marketer) -> Client:
    return _client_for(marketer)


@pytest.fixture
def client_as_admin(admin_user) -> Client:
    return _client_for(admin_user)


@pytest.fixture
def client_as_outsider(outsider) -> Client:
    return _client_for(outsider)


# --- Browser tests ------------------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium (Debian's), driven by Playwright."""
    import os
    from pathlib import Path

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (fixtures, assertions) are still synchronous and safe here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    assert Path(CHROMIUM).exists(), (
        "Debian's chromium is missing: `make test` installs it (apt-get install chromium)"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab; `page.base_url` is the live server. Fails the test on any CSP
    violation or script error the page reports."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.problems = problems
    yield page
    context.close()


def login_in_browser(page, user, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


# --- The append-only audit table and test isolation ---------------------------------------------
class _CursorEditor:
    """Just enough of a schema editor to run the audit migration's trigger SQL with a cursor
    (SQLite's real schema editor cannot run inside the test's transaction)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params=()) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)


def _audit_guard(enabled: bool) -> None:
    from importlib import import_module

    from django.db import connection

    migration = import_module("actito_admin.audit.migrations.0002_append_only_triggers")
    (migration.forward if enabled else migration.backward)(None, _CursorEditor(connection))


@pytest.fixture(autouse=True)
def _audit_table_is_append_only_yet_flushable(request):
    """Every test sees the database-level append-only guard, as production does.

    Transactional tests (live server, task cluster) end with a flush that empties every table;
    the guard would refuse that, so it is lifted just for the flush and restored by the next
    test's set-up.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
        or (marker and marker.kwargs.get("transaction"))
    )
    uses_db = transactional or "db" in request.fixturenames or marker is not None
    if not uses_db:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    _audit_guard(True)
    yield
    if transactional:
        _audit_guard(False)
