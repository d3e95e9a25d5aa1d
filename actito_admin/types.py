from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class AppRequest(HttpRequest):
    """What our views receive: an authenticated user, htmx details and a request id."""

    user: User
    htmx: HtmxDetails
    request_id: str
