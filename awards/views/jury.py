"""The jury's pages: a member scores the nominees of their categories on a phone. A member never
sees a nominee they declared a conflict with; others than the jury get 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from awards import selectors
from awards.models import JuryMember, JuryNominee
from awards.services import jury as jury_services
from kundeservice.errors import DomainError


def _membership(request: HttpRequest, category: int) -> JuryMember:
    member = (
        JuryMember.objects.filter(category_id=category, user_id=request.user.pk or 0)
        .select_related("category__event")
        .first()
    )
    if member is None:
        raise Http404(_("You are not on this jury."))
    return member


@require_GET
@login_required
def my_juries(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "awards/jury/list.html",
        {"memberships": selectors.jury_memberships(request.user)},
    )


@require_http_methods(["GET", "POST"])
@login_required
def score(request: HttpRequest, category: int) -> HttpResponse:
    member = _membership(request, category)
    status = 200
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        nominee = get_object_or_404(JuryNominee, pk=request.POST.get("nominee", 0) or 0)
        try:
            if request.POST.get("action") == "conflict":
                jury_services.conflict_declare(
                    member=member, nominee=nominee, reason=request.POST.get("reason", "")
                )
                messages.success(
                    request,
                    _("Noted: you will not see or score %(name)s.") % {"name": nominee},
                )
            else:
                scores = {
                    int(key[1:]): value
                    for key, value in request.POST.items()
                    if key.startswith("c") and key[1:].isdigit()
                }
                jury_services.scores_save(member=member, nominee=nominee, scores=scores)
                messages.success(
                    request, _("Your scores for %(name)s are saved.") % {"name": nominee}
                )
            return redirect("jury-score", category=category)
        except DomainError as exc:
            status = 400
            if hasattr(exc, "error_dict"):
                errors = {f"{nominee.pk}:{key}": value for key, value in exc.message_dict.items()}
            messages.error(request, " ".join(exc.messages))
    criteria = selectors.criteria_of(member.category)
    given = selectors.member_scores(member)
    nominees = [
        (
            nominee,
            [
                (
                    criterion,
                    given.get((nominee.pk, criterion.pk)),
                    errors.get(f"{nominee.pk}:c{criterion.pk}", []),
                )
                for criterion in criteria
            ],
        )
        for nominee in selectors.nominees_for_member(member)
    ]
    return render(
        request,
        "awards/jury/score.html",
        {"member": member, "category": member.category, "nominees": nominees},
        status=status,
    )


@require_GET
@login_required
def nominee_document(request: HttpRequest, category: int, pk: int) -> FileResponse:
    """A nominee's document, for the jury members who may see the nominee and the managers."""
    nominee = get_object_or_404(JuryNominee, pk=pk, category_id=category)
    if not selectors.is_award_manager(request.user):
        member = _membership(request, category)
        if nominee not in selectors.nominees_for_member(member):
            raise Http404(_("You are not on this jury."))
    if not nominee.document:
        raise Http404(_("This nominee has no document."))
    return FileResponse(nominee.document.open("rb"), content_type="application/pdf")
