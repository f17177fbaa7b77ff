"""API plumbing shared by every app: the exception handler that speaks our domain errors."""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kundeservice.errors import DomainError, ImportRejected


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
    return drf_exception_handler(exc, context)
