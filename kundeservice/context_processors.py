from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url

from kundeservice.roles import STAFF_ROLES, Role, user_has_role


def site(request: HttpRequest) -> dict[str, Any]:
    """Site name, the language switcher's links and which consoles the user may open."""
    path = request.get_full_path()
    languages = [
        {"code": code, "name": name, "url": translate_url(path, code)}
        for code, name in settings.LANGUAGES
    ]
    user = getattr(request, "user", None)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "language_links": languages,
        "can_open_staff": user_has_role(user, *STAFF_ROLES),
        "can_open_observer": user_has_role(user, Role.OBSERVER),
    }
