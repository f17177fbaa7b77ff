"""The one domain error type. Services raise it with a translatable message; the API and the
HTML views turn it into a 400 (or 409 for conflicts) carrying that message."""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError


class DomainError(ValidationError):
    """A message (or a dict of field → messages) and a code; ``status_code`` for the API."""

    status_code = 400

    def __init__(self, message: Any, code: str | None = None, params: Any = None) -> None:
        super().__init__(message, code=code, params=params)
        self.code = code


class ConflictError(DomainError):
    status_code = 409


@dataclass(frozen=True)
class RowError:
    """One bad row of an uploaded file: the row number as the user sees it (header = row 1)."""

    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRejected(DomainError):
    """An upload with bad rows: nothing was imported."""

    def __init__(self, message: Any, errors: list[RowError]) -> None:
        super().__init__(message, code="import_rejected")
        self.row_errors = errors
