from django.urls import path

from . import views

app_name = "ecdp"
urlpatterns = [
    path("", views.units, name="units"),
    path("<int:pk>/", views.unit_detail, name="unit"),
    path("<int:pk>/test/", views.unit_test, name="unit_test"),
    path("<int:pk>/fill/", views.unit_fill_from_sandbox, name="unit_fill"),
    path("<int:pk>/events/new/", views.event_edit, name="event_new"),
    path("<int:pk>/events/<int:event_pk>/", views.event_edit, name="event_edit"),
    path("<int:pk>/segments/new/", views.segment_edit, name="segment_new"),
    path("<int:pk>/segments/<int:segment_pk>/", views.segment_edit, name="segment_edit"),
    path("<int:pk>/<str:kind>/<int:item_pk>/delete/", views.item_delete, name="item_delete"),
]
