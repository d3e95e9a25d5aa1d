"""What each role may and may not do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from actito_admin.accounts.roles import ROLE_PERMISSIONS


def test_the_three_roles_exist_with_their_permissions(db):
    for role, perms in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        have = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        assert have == set(perms), f"role {role} has {sorted(have)}"


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer", "client_as_admin"])
def test_every_role_can_use_the_console(request, persona):
    client = request.getfixturevalue(persona)
    for path in ["/", "/scenarios/", "/imports/", "/audit/"]:
        assert client.get(path).status_code == 200, f"{persona} could not open {path}"


def test_a_user_without_a_role_is_told_to_ask_for_one(client_as_outsider):
    response = client_as_outsider.get("/")
    assert response.status_code == 403
    assert b"no role yet" in response.content


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer"])
def test_only_admins_open_the_connection_settings(request, persona):
    client = request.getfixturevalue(persona)
    assert client.get("/settings/").status_code == 403


def test_an_admin_opens_the_connection_settings(client_as_admin):
    assert client_as_admin.get("/settings/").status_code == 200


@pytest.mark.parametrize("persona", ["client_as_viewer", "client_as_marketer"])
def test_only_admins_manage_users(request, persona):
    client = request.getfixturevalue(persona)
    response = client.get("/django-admin/auth/user/")
    assert response.status_code in {302, 403}, "non-admins must not reach user management"


def test_an_admin_manages_users_in_the_django_admin(client_as_admin):
    assert client_as_admin.get("/django-admin/auth/user/").status_code == 200
    assert client_as_admin.get("/django-admin/auth/user/add/").status_code == 200


def test_nobody_can_edit_or_delete_audit_events_in_the_admin(client_as_admin, admin_user):
    from actito_admin.audit.services import record_event

    event = record_event(actor=admin_user, action="auth.login")
    delete_page = client_as_admin.get(f"/django-admin/audit/auditevent/{event.pk}/delete/")
    assert delete_page.status_code in {302, 403}, "the admin must not offer to delete events"
    response = client_as_admin.post(f"/django-admin/audit/auditevent/{event.pk}/change/", {})
    assert response.status_code in {302, 403}
    assert event.__class__.objects.filter(pk=event.pk, action="auth.login").exists()
