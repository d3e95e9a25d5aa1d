from django.urls import path

from . import views

# Namespaced ("scenarios:run" is what the audit log links to); the search page itself is also
# registered without namespace as "scenarios" in actito_admin/urls.py, for the navigation.
app_name = "scenarios"
urlpatterns = [
    path("refresh/", views.catalog_refresh, name="refresh"),
    path("history/", views.history, name="history"),
    path("<int:pk>/", views.scenario_detail, name="detail"),
    path("<int:pk>/lookup/", views.profile_lookup, name="lookup"),
    path("<int:pk>/trigger/", views.scenario_trigger, name="trigger"),
    path("<int:pk>/list/", views.list_new, name="list"),
    path("lists/<int:pk>/", views.list_check, name="list_check"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("runs/<int:pk>/retry/", views.run_retry, name="run_retry"),
    path("runs/<int:pk>/pause/", views.run_pause, name="run_pause"),
    path("runs/<int:pk>/resume/", views.run_resume, name="run_resume"),
    path("runs/<int:pk>/cancel/", views.run_cancel, name="run_cancel"),
    path("runs/<int:pk>/results.csv", views.run_results_csv, name="run_csv"),
]
