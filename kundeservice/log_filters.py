"""Logging filters for the site's log."""

import logging


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is an answer, not an error: Django logs it with the ``PermissionDenied``
    traceback; keep the one line ("Forbidden (Permission denied): /staff/…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
