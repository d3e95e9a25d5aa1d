from django.contrib import admin
from django.urls import include, path

from actito_admin.accounts.language import choose_language
from actito_admin.imports import views as import_views
from actito_admin.scenarios import views as scenario_views

urlpatterns = [
    path("audit/", include("actito_admin.audit.urls")),
    # The navigation links to "scenarios" (no namespace); the rest lives under "scenarios:".
    path("scenarios/ecdp/", include("actito_admin.scenarios.ecdp_urls")),
    path("scenarios/", scenario_views.scenario_search, name="scenarios"),
    path("scenarios/", include("actito_admin.scenarios.urls")),
    # Same pattern as scenarios: "imports" (no namespace) for the navigation, "imports:…" inside.
    path("imports/", import_views.job_list, name="imports"),
    path("imports/", include("actito_admin.imports.urls")),
    path("", include("actito_admin.web.urls")),
    path("accounts/", include("actito_admin.accounts.urls")),
    path("language/", choose_language, name="choose_language"),
    path("settings/ecdp/", include("actito_admin.ecdp.urls")),
    path("settings/", include("actito_admin.actito.urls")),
    path("django-admin/", admin.site.urls),
]

handler403 = "actito_admin.web.views.error_403"
handler404 = "actito_admin.web.views.error_404"
handler500 = "actito_admin.web.views.error_500"
