from django.contrib.admin import AdminSite
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


class ConsoleAdminSite(AdminSite):
    """The Django admin, opened to the Admin role (not only to staff) for user management."""

    site_header = _("Actito Admin — user management")
    site_title = "Actito Admin"
    index_title = _("Users and roles")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return user.is_active and (user.is_staff or user.has_perm("accounts.manage_users"))
