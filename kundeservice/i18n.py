"""Texts kept in bokmål and English side by side on a model (``name`` and ``name_en``)."""

from typing import Any

from django.utils.translation import get_language


def localized(obj: Any, field: str) -> str:
    """``field`` in the active language, falling back to bokmål when the English is empty."""
    if (get_language() or "nb").startswith("en"):
        english = getattr(obj, f"{field}_en", "")
        if english:
            return str(english)
    return str(getattr(obj, field))
