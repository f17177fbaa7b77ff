"""Roles and the one permission helper that HTML views and the API both use.

A role is a Django ``Group`` whose name is the role's value; the groups are created by a data
migration. ``staff_admin`` may do what any staff role may, but is not an observer: the observer
portal belongs to the people who do fieldwork.
"""

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission


class Role(models.TextChoices):
    STAFF_ADMIN = "staff_admin", _("Staff admin")
    PANEL_MANAGER = "panel_manager", _("Panel manager")
    OBSERVER = "observer", _("Observer")
    QA_REVIEWER = "qa_reviewer", _("QA reviewer")
    EDITOR = "editor", _("Editor")
    AWARD_MANAGER = "award_manager", _("Award manager")
    DOOR_STAFF = "door_staff", _("Door staff")
    ANALYST = "analyst", _("Analyst")


#: Every role that works in the staff console.
STAFF_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.OBSERVER)
#: Roles that maintain the catalog of industries and companies.
CATALOG_ROLES: tuple[Role, ...] = (Role.STAFF_ADMIN, Role.PANEL_MANAGER)
#: The ``results`` permission: run aggregations, set weighting targets, define derived
#: indicators, and publish or hide a wave's results. Publishing is a decision about what the
#: public reads, so it belongs to the analyst who checked the figures (and staff admins), not to
#: the people who run fieldwork or write the temperature updates.
RESULTS_ROLES: tuple[Role, ...] = (Role.STAFF_ADMIN, Role.ANALYST)
#: Read results the public cannot see yet (a preview), without changing anything.
RESULTS_PREVIEW_ROLES: tuple[Role, ...] = (*RESULTS_ROLES, Role.PANEL_MANAGER, Role.EDITOR)
#: Marks an endpoint or view as open to everyone, anonymous included.
PUBLIC = "public"

_CACHE_ATTR = "_kundeservice_roles"


def user_roles(user: Any) -> frozenset[str]:
    """The role names a user holds; cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def user_has_role(user: Any, *roles: str) -> bool:
    """True when the user holds one of ``roles`` (superusers hold all; staff admins all but
    observer)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    held = user_roles(user)
    if any(role in held for role in roles):
        return True
    return Role.STAFF_ADMIN in held and any(role != Role.OBSERVER for role in roles)


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Decorate a function view: anonymous users go to the login page, others without a role get
    403."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class RoleRequiredMixin(AccessMixin):
    """Class-based views: set ``required_roles``."""

    required_roles: Iterable[str] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not user_has_role(request.user, *self.required_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class DenyAll(BasePermission):
    """The API default: an endpoint that does not declare its roles answers nobody."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return False


class RolePermission(BasePermission):
    """API permission read from the view: ``read_roles`` for safe methods, ``write_roles`` for the
    rest; either may be ``PUBLIC``."""

    def has_permission(self, request: Any, view: Any) -> bool:
        roles = getattr(view, "read_roles" if request.method in SAFE_METHODS else "write_roles", ())
        if roles == PUBLIC:
            return True
        return user_has_role(request.user, *roles)
