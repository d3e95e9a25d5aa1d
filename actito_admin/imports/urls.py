from django.urls import path

from . import views

# Namespaced ("imports:detail" is what the audit log links to); the list itself is also
# registered without namespace as "imports" in actito_admin/urls.py, for the navigation.
app_name = "imports"
urlpatterns = [
    path("new/", views.job_new, name="new"),
    path("mappings/", views.template_list, name="templates"),
    path("mappings/<int:pk>/", views.template_edit, name="template_edit"),
    path("mappings/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/status/", views.job_status, name="status"),
    path("<int:pk>/format/", views.job_format, name="format"),
    path("<int:pk>/table/", views.job_table, name="table"),
    path("<int:pk>/validate/", views.job_validate, name="validate"),
    path("<int:pk>/submit/", views.job_submit, name="submit"),
    path("<int:pk>/rows-with-errors.csv", views.job_error_file, name="error_file"),
    path("<int:pk>/output/<str:member>", views.job_output, name="output"),
]
