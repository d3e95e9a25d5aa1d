from django.urls import path

from . import views

# No namespace: the navigation (web/context_processors.py) links to the list as "audit".
urlpatterns = [
    path("", views.event_list, name="audit"),
    path("<int:pk>/", views.event_detail, name="audit_event"),
    path("export.<str:fmt>", views.event_export, name="audit_export"),
    path("purges/", views.purge_history, name="audit_purges"),
]
