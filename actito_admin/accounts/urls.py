from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from .settings_page import my_settings
from .throttle import address_locked


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if address_locked(request):
            minutes = round(settings.AXES_COOLOFF_TIME * 60)
            context = {"lockout_minutes": minutes}
            return render(request, "registration/locked_out.html", context, status=429)
        return super().post(request, *args, **kwargs)


urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", my_settings, name="my_settings"),
]
