"""Signing in, by the login form, the admin's and by API token, with failed attempts limited per
account and per client address: an attempt after too many is refused without checking the
password (429 on the form and the API)."""

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response

from kundeservice.ratelimits import failure_count, failures_wait, too_many_attempts_message

LOGIN_GROUP = "login"


def login_wait(request: HttpRequest, username: str) -> int:
    """Seconds before this address may try a password again, or anyone may for ``username``."""
    return failures_wait(request, group=LOGIN_GROUP, account=username, **_rates())


def login_failed(request: HttpRequest, username: str) -> None:
    """Count a wrong user name or password against the account and the address."""
    failure_count(request, group=LOGIN_GROUP, account=username, **_rates())


class RateLimitedLoginMixin:
    """For Django's authentication forms: refuse before ``authenticate`` while the account or
    address must wait, count the attempt when the credentials are wrong."""

    request: HttpRequest | None
    data: Any
    wait = 0

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username", ""))
        if self.request is not None:
            self.wait = login_wait(self.request, username)
            if self.wait:
                raise ValidationError(too_many_attempts_message(self.wait), code="throttled")
        try:
            return super().clean()  # type: ignore[misc]
        except ValidationError:
            if self.request is not None:
                login_failed(self.request, username)
            raise


class LoginForm(RateLimitedLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(RateLimitedLoginMixin, AdminAuthenticationForm):
    pass


class LoginView(auth_views.LoginView):
    """The site's login form; a refused attempt while waiting answers 429 with Retry-After."""

    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        response = super().form_invalid(form)
        if form.wait:
            response.status_code = 429
            response["Retry-After"] = str(form.wait)
        return response


class TokenCreateView(ObtainAuthToken):
    """``POST /api/v1/auth/token/``: a user name and password for the user's API token."""

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = request.data.get("username") if hasattr(request.data, "get") else None
        username = username if isinstance(username, str) else ""
        wait = login_wait(request._request, username)
        if wait:
            raise exceptions.Throttled(wait=wait)
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.ValidationError:
            login_failed(request._request, username)
            raise


def _rates() -> dict[str, str]:
    return {
        "account_rate": settings.LOGIN_ACCOUNT_RATE,
        "address_rate": settings.LOGIN_ADDRESS_RATE,
    }
