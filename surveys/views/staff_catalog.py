"""Staff console pages for the catalog: the company list and the company import."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kundeservice.roles import CATALOG_ROLES, role_required
from kundeservice.uploads import import_from_form
from surveys import selectors
from surveys.models import Channel, Industry
from surveys.services import catalog as catalog_services


class CompanyImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or Excel file"),
        help_text=gettext_lazy(
            "Columns: organisasjonsnummer, navn, bransje, kanaler (comma-separated), nettside."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )


@require_http_methods(["GET"])
@role_required(*CATALOG_ROLES)
def company_list(request: HttpRequest) -> HttpResponse:
    # NUL bytes cannot reach PostgreSQL; nothing legitimate contains them.
    industry = request.GET.get("industry", "").replace("\x00", "") or None
    channel = request.GET.get("channel", "").replace("\x00", "") or None
    search = request.GET.get("q", "").replace("\x00", "").strip()[:100] or None
    companies = selectors.companies_list(
        industry=industry, channel=channel, search=search, include_inactive=True
    )
    page = Paginator(companies, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/staff/company_list.html",
        {
            "page": page,
            "industries": Industry.objects.all(),
            "channels": Channel.choices,
            "filters": {"industry": industry or "", "channel": channel or "", "q": search or ""},
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*CATALOG_ROLES)
def company_import(request: HttpRequest) -> HttpResponse:
    form = CompanyImportForm(request.POST or None, request.FILES or None)
    outcome = import_from_form(
        form, catalog_services.companies_import, submitted=request.method == "POST"
    )
    if outcome.summary is not None:
        summary = outcome.summary
        messages.success(
            request,
            _("Imported %(total)d companies: %(created)d new, %(updated)d updated.")
            % {"total": summary.total, "created": summary.created, "updated": summary.updated},
        )
        return redirect("staff-company-list")
    return render(
        request,
        "surveys/staff/company_import.html",
        {"form": form, "row_errors": outcome.row_errors},
        status=outcome.status,
    )
