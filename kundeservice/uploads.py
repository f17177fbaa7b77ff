"""Running an importer from an upload form: the same error handling for every import page."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django import forms

from kundeservice.errors import DomainError, ImportRejected, RowError


@dataclass
class ImportOutcome:
    summary: Any = None
    row_errors: list[RowError] = field(default_factory=list)
    status: int = 200


def import_from_form(
    form: forms.Form, importer: Callable[..., Any], *, submitted: bool
) -> ImportOutcome:
    """Run ``importer(file=…, filename=…)`` on the form's ``file``. Errors go onto the form (the
    file as a whole) or into ``row_errors`` (each bad row); the status is 400 when nothing was
    imported."""
    if not submitted:
        return ImportOutcome()
    if not form.is_valid():
        return ImportOutcome(status=400)
    upload: IO[bytes] = form.cleaned_data["file"]
    try:
        summary = importer(file=upload, filename=getattr(upload, "name", "") or "")
    except ImportRejected as exc:
        form.add_error(None, exc.messages[0])
        return ImportOutcome(row_errors=exc.row_errors, status=400)
    except DomainError as exc:
        form.add_error("file", exc.messages[0])
        return ImportOutcome(status=400)
    return ImportOutcome(summary=summary)
