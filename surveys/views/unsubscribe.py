"""Unsubscribe from the link in every e-mail: a page with a button, and RFC 8058 one-click."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from surveys.models import Invitation
from surveys.services.panels import panelist_unsubscribe
from surveys.services.responding import token_hash


@csrf_exempt  # mail clients POST here without a session (RFC 8058); the token is the credential
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    invitation = (
        Invitation.objects.select_related("panelist")
        .filter(token_hash=token_hash(token[:100]))
        .first()
    )
    if invitation is None or invitation.panelist.erased_at:
        return render(request, "surveys/respond/unsubscribe.html", {"found": False}, status=404)
    panelist = invitation.panelist
    with translation.override(panelist.language or "nb"):
        if request.method == "POST":
            panelist_unsubscribe(panelist=panelist)
            return render(
                request, "surveys/respond/unsubscribe.html", {"found": True, "done": True}
            )
        return render(
            request,
            "surveys/respond/unsubscribe.html",
            {"found": True, "done": panelist.unsubscribed_at is not None},
        )
