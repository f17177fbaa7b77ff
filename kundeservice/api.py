"""API plumbing shared by every app: the exception handler that speaks our domain errors."""

import math
import re
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kundeservice.errors import DomainError, ImportRejected
from kundeservice.ratelimits import too_many_attempts_message

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]+")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors (and Django's ValidationError) into 400/409 with their messages."""
    if isinstance(exc, ImportRejected):
        return Response(
            {"detail": exc.messages[0], "errors": [e.as_dict() for e in exc.row_errors]},
            status=exc.status_code,
        )
    if isinstance(exc, DomainError):
        if hasattr(exc, "error_dict"):
            body: dict[str, Any] = {
                ("detail" if field == NON_FIELD_ERRORS else field): messages
                for field, messages in exc.message_dict.items()
            }
            return Response(body, status=exc.status_code)
        return Response(
            {"detail": " ".join(exc.messages), "code": exc.code or "invalid"},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        detail: Any = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response({"detail": detail}, status=400)
    if isinstance(exc, Throttled):
        wait = math.ceil(getattr(exc, "wait", None) or 60)
        return Response(
            {"detail": too_many_attempts_message(wait), "code": "throttled"},
            status=429,
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, models.ProtectedError | models.RestrictedError):
        return Response({"detail": _still_referred_to(exc), "code": "protected"}, status=409)
    return drf_exception_handler(exc, context)


def _still_referred_to(exc: models.ProtectedError | models.RestrictedError) -> str:
    """ "Cannot be deleted: waves and responses still refer to it", from the objects the database
    would have to delete or orphan (their kinds only: the objects may be embargoed)."""
    objects = (
        exc.protected_objects if isinstance(exc, models.ProtectedError) else exc.restricted_objects
    )
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
    return _(
        "This cannot be deleted while other records refer to it (%(kinds)s). Remove them first."
    ) % {"kinds": ", ".join(kinds)}


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers as the schema says: a positive integer; anything else is a 400."""

    page_size = 50

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: [_("A page is a whole number from 1.")]})
        return super().paginate_queryset(queryset, request, view)


class SlugLookupField(serializers.SlugRelatedField):
    """A slug reference that rejects non-slug input before it reaches the database (a NUL byte
    would otherwise be a server error on PostgreSQL)."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not SLUG_RE.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:50])
        return super().to_internal_value(data)


class StrictStringMixin:
    """JSON bodies say what type they send: a number where the schema says string is refused,
    not silently turned into text."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictCharField(StrictStringMixin, serializers.CharField):
    pass


class StrictSlugField(StrictStringMixin, serializers.SlugField):
    pass


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    pass


class StrictURLField(StrictStringMixin, serializers.URLField):
    pass


class StrictIntegerField(serializers.IntegerField):
    """An integer, not a string of digits, a float or a boolean."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """true or false, not "yes", "1" or 0."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, bool):
            self.fail("invalid", input=str(data)[:50])
        return data


class StrictModelSerializer(serializers.ModelSerializer):
    """ModelSerializer whose text and integer fields accept only their JSON type."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
        models.SlugField: StrictSlugField,
        models.EmailField: StrictEmailField,
        models.URLField: StrictURLField,
        models.IntegerField: StrictIntegerField,
        models.PositiveIntegerField: StrictIntegerField,
        models.PositiveSmallIntegerField: StrictIntegerField,
        models.SmallIntegerField: StrictIntegerField,
        models.BigIntegerField: StrictIntegerField,
        models.BooleanField: StrictBooleanField,
    }
