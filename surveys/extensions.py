"""Places other apps fill on surveys' pages without surveys importing them (the layering is
awards → surveys → kundeservice).

An app registers, in its ``AppConfig.ready``, a panel for a company's results page (the award
lists the prizes a company won). A panel names the public-cache namespace its content depends on,
so a cached company page is rebuilt when that content's visibility changes (a reveal).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class CompanyPanel:
    """HTML shown on a company's results pages: ``render(request, company)`` gives safe HTML
    (empty for nothing to show)."""

    namespace: str
    render: Callable[[HttpRequest, Any], SafeString]


_company_panels: list[CompanyPanel] = []


def register_company_panel(panel: CompanyPanel) -> None:
    if panel not in _company_panels:
        _company_panels.append(panel)


def company_panels() -> list[CompanyPanel]:
    return list(_company_panels)
