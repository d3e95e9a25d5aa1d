from django.urls import path

from . import ecdp_views

# Under /scenarios/ecdp/; the runs themselves are on the shared "scenarios:run" pages.
app_name = "ecdp_scenarios"
urlpatterns = [
    path("", ecdp_views.event_search, name="search"),
    path("events/<int:pk>/", ecdp_views.event_detail, name="event"),
    path("events/<int:pk>/lookup/", ecdp_views.customer_lookup, name="lookup"),
    path("events/<int:pk>/send/", ecdp_views.event_send, name="send"),
    path("events/<int:pk>/list/", ecdp_views.list_new, name="list"),
    path("events/<int:pk>/segments/", ecdp_views.segments_new, name="segments"),
]
