"""What the award adds to surveys' pages (through ``surveys.extensions``): the prizes a company
won, on its results pages, once revealed."""

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from awards import selectors
from awards.services.events import AWARDS_NAMESPACE
from surveys.extensions import CompanyPanel, register_company_panel


def prizes_panel(request: HttpRequest, company: Any) -> SafeString:
    prizes = selectors.prizes_won(company_id=company.pk)
    if not prizes:
        return SafeString("")
    html = render_to_string("awards/_prizes.html", {"prizes": prizes}, request)
    return mark_safe(html)  # noqa: S308 - a rendered template, escaped as usual


def register_panels() -> None:
    register_company_panel(CompanyPanel(namespace=AWARDS_NAMESPACE, render=prizes_panel))
