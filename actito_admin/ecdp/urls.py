from django.urls import path

from . import views

app_name = "ecdp"
urlpatterns = [
    path("", views.units, name="units"),
    path("<int:pk>/", views.unit_detail, name="unit"),
    path("<int:pk>/test/", views.unit_test, name="unit_test"),
    path("<int:pk>/fill/", views.unit_fill_from_sandbox, name="unit_fill"),
    path("<int:pk>/events/new/", views.catalogue_edit, {"kind": "event"}, name="event_new"),
    path(
        "<int:pk>/events/<int:item_pk>/", views.catalogue_edit, {"kind": "event"}, name="event_edit"
    ),
    path("<int:pk>/segments/new/", views.catalogue_edit, {"kind": "segment"}, name="segment_new"),
    path(
        "<int:pk>/segments/<int:item_pk>/",
        views.catalogue_edit,
        {"kind": "segment"},
        name="segment_edit",
    ),
    path("<int:pk>/<str:kind>/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
]
