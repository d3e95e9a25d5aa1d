from django.urls import path

from . import views

urlpatterns = [
    path("", views.connection_settings, name="connection_settings"),
    path("test/", views.connection_test, name="connection_test"),
    path("test/<int:pk>/", views.connection_test_status, name="connection_test_status"),
    path("usage/", views.connection_usage, name="connection_usage"),
]
