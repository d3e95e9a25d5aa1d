"""Users in the web admin: the role is the only lever; an Admin cannot grant themselves more."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from actito_admin.audit.models import AuditEvent
from actito_admin.audit.sentences import describe
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

CHANGE = "/django-admin/auth/user/{}/change/"


def _change_form(client, user: User) -> dict[str, str]:
    """The fields the change form offers, filled as they are, the way a browser would post."""
    page = client.get(CHANGE.format(user.pk))
    assert page.status_code == 200, "an Admin may open a user's page"
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields if name != "password"}
    return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}


def test_an_admin_cannot_make_anyone_superuser_or_staff_through_the_form(
    client_as_admin, admin_user
):
    data = _change_form(client_as_admin, admin_user)
    assert "is_superuser" not in data and "is_staff" not in data
    assert "user_permissions" not in data and "groups" not in data
    # A hand-made POST with the fields anyway changes nothing.
    data.update(is_superuser="on", is_staff="on", role="Admin")
    client_as_admin.post(CHANGE.format(admin_user.pk), data)
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser and not admin_user.is_staff


def test_the_page_shows_no_superuser_staff_or_permission_field(client_as_admin, marketer):
    page = client_as_admin.get(CHANGE.format(marketer.pk)).content.decode()
    for field in ("is_superuser", "is_staff", "user_permissions", 'name="groups"'):
        assert field not in page, f"{field} must not be offered to an Admin"
    assert 'name="role"' in page


def test_an_admin_changes_a_role_and_the_audit_log_says_so(client_as_admin, marketer):
    data = _change_form(client_as_admin, marketer)
    data["role"] = "Viewer"
    response = client_as_admin.post(CHANGE.format(marketer.pk), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(marketer.groups.values_list("name", flat=True)) == ["Viewer"]
    event = AuditEvent.objects.get(action="accounts.role_changed")
    assert event.data == {"username": "mark", "from": "Marketer", "to": "Viewer"}
    assert describe(event) == "ada changed the role of «mark» from Marketer to Viewer"


def test_an_admin_cannot_open_or_take_over_a_superuser_account(client_as_admin):
    root = make_user("root", is_superuser=True, is_staff=True)
    page = client_as_admin.get(CHANGE.format(root.pk))
    assert page.status_code == 200 and 'name="role"' not in page.content.decode(), "read-only"
    renamed = client_as_admin.post(CHANGE.format(root.pk), {"username": "mine", "role": "Viewer"})
    assert renamed.status_code == 403
    password_url = f"/django-admin/auth/user/{root.pk}/password/"
    response = client_as_admin.post(
        password_url, {"password1": "Takeover-12345!", "password2": "Takeover-12345!"}
    )
    assert response.status_code == 403
    root.refresh_from_db()
    assert root.username == "root"
    assert not root.check_password("Takeover-12345!"), "the superuser's password must not change"


def test_the_task_queue_is_not_in_the_web_admin(client_as_admin):
    for model in ("schedule", "success", "failure", "ormq"):
        assert client_as_admin.get(f"/django-admin/django_q/{model}/add/").status_code == 404
    index = client_as_admin.get("/django-admin/").content.decode()
    assert "Scheduled task" not in index


def test_becoming_superuser_outside_the_console_is_audited():
    user = make_user("carla", "Viewer")
    user.is_superuser = True
    user.save()
    event = AuditEvent.objects.get(action="accounts.privileges_changed")
    assert event.data["superuser"] is True and event.data["was_superuser"] is False
    assert "became superuser" in describe(event)


def test_an_admin_adds_a_marketer_with_a_role_and_nothing_more(client_as_admin):
    response = client_as_admin.post(
        "/django-admin/auth/user/add/",
        {
            "username": "nadia",
            "usable_password": "true",
            "password1": "Brussels-Marketing-2026",
            "password2": "Brussels-Marketing-2026",
            "role": "Marketer",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    nadia = User.objects.get(username="nadia")
    assert list(nadia.groups.values_list("name", flat=True)) == ["Marketer"]
    assert not nadia.is_superuser and not nadia.is_staff
    assert AuditEvent.objects.filter(action="accounts.role_changed", target_id=str(nadia.pk))
