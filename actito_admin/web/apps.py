from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    default = True
    name = "actito_admin.web"
    label = "web"
    verbose_name = _("Console")


class ConsoleAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "actito_admin.web.admin_site.ConsoleAdminSite"
