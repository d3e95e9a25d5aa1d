"""Log-in, log-out, lockout — and that each is audited."""

from __future__ import annotations

from django.test import Client

from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from tests.conftest import PASSWORD


def test_a_user_logs_in_and_lands_on_home(viewer):
    client = Client()
    response = client.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor_username == "vera" and login.ip_address == "127.0.0.1"
    assert login.request_id, "the audit event must carry the request id"


def test_a_wrong_password_is_refused_and_audited_without_the_password(viewer):
    client = Client()
    response = client.post("/accounts/login/", {"username": "vera", "password": "wrong-guess"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.outcome == "failure" and failed.actor_username == "vera"
    assert "wrong-guess" not in str(failed.data)


def test_logging_out_is_audited(client_as_viewer):
    response = client_as_viewer.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor_username="vera").exists()
    assert client_as_viewer.get("/").status_code == 302, "after logout the console needs a login"


def test_repeated_failures_lock_the_account_even_for_the_right_password(viewer, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "vera", "password": "nope"})
    response = client.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 429, "the account should be locked after repeated failures"
    assert b"Too many failed log-ins" in response.content
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert client.get("/").status_code == 302, "a locked-out attempt must not log in"


def test_lockout_uses_the_real_client_address_behind_a_proxy(viewer, settings):
    """Behind one trusted proxy, a lockout of one address must not lock out another."""
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attacker.post("/accounts/login/", {"username": "vera", "password": "nope"})
    locked = attacker.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert locked.status_code == 429, "the attacking address should be locked out"
    colleague = Client(HTTP_X_FORWARDED_FOR="198.51.100.7")
    response = colleague.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert response.status_code == 302, "another client address must still be able to log in"
    failed = AuditEvent.objects.filter(action="auth.login_failed").last()
    assert failed.ip_address == "203.0.113.9", "the audit log must record the real client address"


def test_one_address_trying_many_usernames_is_paused(viewer, marketer, settings):
    """Axes locks a (username, address) pair; an address spraying usernames is paused too."""
    import uuid

    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURES_PER_ADDRESS = 6
    address = f"203.0.113.{uuid.uuid4().int % 200 + 20}"
    sprayer = Client(HTTP_X_FORWARDED_FOR=address)
    for n in range(6):
        sprayer.post("/accounts/login/", {"username": f"user{n}", "password": "nope"})
    blocked = sprayer.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert blocked.status_code == 429, "the address is paused, whatever username it tries"
    assert b"Too many failed log-ins" in blocked.content
    other = Client(HTTP_X_FORWARDED_FOR="198.51.100.77")
    assert (
        other.post("/accounts/login/", {"username": "mark", "password": PASSWORD}).status_code
        == 302
    )


def test_the_lock_out_page_says_how_long_and_an_admin_can_unlock(viewer, client_as_admin, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "vera", "password": "nope"})
    locked = client.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert locked.status_code == 429
    assert f"for {round(settings.AXES_COOLOFF_TIME * 60)} minutes" in locked.content.decode()
    response = client_as_admin.post(
        "/django-admin/auth/user/",
        {"action": "unlock", "_selected_action": [viewer.pk]},
    )
    assert response.status_code == 302
    again = client.post("/accounts/login/", {"username": "vera", "password": PASSWORD})
    assert again.status_code == 302, "after the unlock the right password works again"
    event = AuditEvent.objects.get(action="accounts.unlocked")
    assert describe(event) == "ada unlocked «vera» after too many failed log-ins"
