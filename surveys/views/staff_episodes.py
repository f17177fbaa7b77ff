"""Staff console: temperature updates. Editors write an episode, insert figure blocks from a
list, preview it at its public address, schedule it, and withdraw it with a reason."""

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kundeservice.errors import DomainError
from kundeservice.roles import role_required
from surveys import episode_figures
from surveys.episode_selectors import episode_url
from surveys.models import EpisodeStatus, StudyKind, TemperatureUpdate, Wave
from surveys.models.publications import web_url
from surveys.services.episodes import (
    episode_block_add,
    episode_block_remove,
    episode_publish_now,
    episode_save,
    episode_schedule,
    episode_unschedule,
    episode_withdraw,
    results_for_episode,
)
from surveys.views.episodes import EPISODE_ROLES


class EpisodeForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("Episode number"), min_value=1, max_value=999)
    title = forms.CharField(label=gettext_lazy("Title (Norwegian)"), max_length=200)
    title_en = forms.CharField(
        label=gettext_lazy("Title (English)"), max_length=200, required=False
    )
    lead = forms.CharField(
        label=gettext_lazy("Lead (Norwegian)"),
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lead_en = forms.CharField(
        label=gettext_lazy("Lead (English)"),
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    body = forms.CharField(
        label=gettext_lazy("Text (Norwegian)"),
        help_text=gettext_lazy(
            "Markdown: **bold**, *italic*, ## heading, - list, [link](https://…). A figure shows "
            "where its line [[figur N]] is; insert one from the list below."
        ),
        widget=forms.Textarea(attrs={"rows": 16, "class": "episode-body-input"}),
    )
    body_en = forms.CharField(
        label=gettext_lazy("Text (English)"),
        required=False,
        help_text=gettext_lazy("Empty: English readers get the Norwegian text."),
        widget=forms.Textarea(attrs={"rows": 10, "class": "episode-body-input"}),
    )
    cutoff = forms.DateField(
        label=gettext_lazy("Results through"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    webinar_url = forms.URLField(
        label=gettext_lazy("Webinar registration link"),
        max_length=500,
        required=False,
        validators=[web_url],
        assume_scheme="https",
    )
    recording_url = forms.URLField(
        label=gettext_lazy("Recording link"),
        help_text=gettext_lazy("YouTube and Vimeo recordings play on the page once asked to."),
        max_length=500,
        required=False,
        validators=[web_url],
        assume_scheme="https",
    )
    cover = forms.FileField(
        label=gettext_lazy("Cover image"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG or WebP, at most 5 MB; scaled to 1600 px."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    cover_alt = forms.CharField(
        label=gettext_lazy("Cover image description"), max_length=300, required=False
    )
    remove_cover = forms.BooleanField(label=gettext_lazy("Remove the cover image"), required=False)
    figure = forms.ChoiceField(
        label=pgettext_lazy("a chart in a temperature update", "Figure"), required=False
    )
    cursor = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    publish_at = forms.DateTimeField(
        label=gettext_lazy("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, wave: Wave, episode: TemperatureUpdate | None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        groups = episode_figures.block_choices(wave)
        cast(forms.ChoiceField, self.fields["figure"]).choices = [("", "—")] + [
            (str(group), [(c.value, c.label) for c in choices]) for group, choices in groups
        ]
        self.block_labels = {c.value: c.label for _group, choices in groups for c in choices}
        if episode is not None and episode.is_public:
            self.fields["number"].disabled = True
            self.fields["cutoff"].disabled = True


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the episode withdrawn?"),
        help_text=gettext_lazy("Readers see this on the episode's page."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@role_required(*EPISODE_ROLES)
def episode_list(request: HttpRequest) -> HttpResponse:
    """Every episode by wave, and the waves an episode can be written for."""
    waves = (
        Wave.objects.exclude(study__kind=StudyKind.POLL)
        .select_related("study")
        .annotate(published=Count("episodes", filter=Q(episodes__status=EpisodeStatus.PUBLISHED)))
        .order_by("-starts_on", "name")
    )
    episodes = TemperatureUpdate.objects.select_related("wave__study").order_by(
        "-wave__starts_on", "wave__name", "-number"
    )
    return render(
        request, "surveys/staff/episode_list.html", {"waves": waves, "episodes": episodes}
    )


@role_required(*EPISODE_ROLES)
def episode_create(request: HttpRequest, wave_pk: int) -> HttpResponse:
    wave = get_object_or_404(Wave.objects.select_related("study"), pk=wave_pk)
    following = (
        wave.episodes.order_by("-number").values_list("number", flat=True).first() or 0
    ) + 1
    form = EpisodeForm(
        request.POST or None,
        request.FILES or None,
        wave=wave,
        episode=None,
        initial={"number": following, "cutoff": min(timezone.localdate(), wave.ends_on)},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                episode = episode_save(
                    wave=wave,
                    fields=form.cleaned_data,
                    cover=form.cleaned_data.get("cover"),
                    by=request.user,
                )
            except DomainError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("The episode is saved as a draft."))
                return redirect(reverse("staff-episode-edit", args=[episode.pk]))
        status = 400
    return render(
        request,
        "surveys/staff/episode_form.html",
        {"form": form, "wave": wave, "episode": None},
        status=status,
    )


@role_required(*EPISODE_ROLES)
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The episode's form; every button saves the text first, then does what it says, all or
    nothing."""
    episode = get_object_or_404(TemperatureUpdate.objects.select_related("wave__study"), pk=pk)
    wave = episode.wave
    initial = {
        name: getattr(episode, name) for name in EpisodeForm.base_fields if hasattr(episode, name)
    }
    initial["cover"] = None
    if episode.publish_at:
        initial["publish_at"] = timezone.localtime(episode.publish_at)
    form = EpisodeForm(initial=initial, wave=wave, episode=episode)
    withdraw_form = WithdrawForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "withdraw":
            withdraw_form = WithdrawForm(request.POST)
            if withdraw_form.is_valid():
                try:
                    episode_withdraw(episode=episode, reason=withdraw_form.cleaned_data["reason"])
                except DomainError as exc:
                    _form_errors(withdraw_form, exc)
                else:
                    messages.success(request, _("The episode is withdrawn."))
                    return redirect(reverse("staff-episode-edit", args=[episode.pk]))
            status = 400
        else:
            form = EpisodeForm(
                request.POST, request.FILES, initial=initial, wave=wave, episode=episode
            )
            if form.is_valid():
                try:
                    # The text and the action commit together: a refused action keeps nothing.
                    with transaction.atomic():
                        message = _act(request, episode, action, form.cleaned_data)
                except DomainError as exc:
                    episode.refresh_from_db()
                    _form_errors(form, exc)
                else:
                    messages.success(request, message)
                    return redirect(reverse("staff-episode-edit", args=[episode.pk]))
            status = 400
    return render(
        request,
        "surveys/staff/episode_form.html",
        {
            "form": form,
            "withdraw_form": withdraw_form,
            "wave": wave,
            "episode": episode,
            "public_url": episode_url(episode),
            "blocks": [(b, _choice_label(form, b)) for b in episode.blocks],
            "result_set": episode.result_set
            if episode.is_public
            else episode_figures.eligible_result_set(wave_id=wave.pk, cutoff=episode.cutoff),
        },
        status=status,
    )


def _act(
    request: HttpRequest, episode: TemperatureUpdate, action: str, data: dict[str, Any]
) -> str:
    episode_save(
        wave=episode.wave,
        episode=episode,
        fields=data,
        cover=data.get("cover"),
        remove_cover=data.get("remove_cover", False),
    )
    if action == "add_block":
        episode_block_add(episode=episode, choice=data.get("figure") or "", at=data.get("cursor"))
        return _("Figure inserted.")
    if action.startswith("remove_block:"):
        number = action.partition(":")[2]
        episode_block_remove(episode=episode, number=int(number) if number.isdigit() else 0)
        return _("Figure removed.")
    if action == "schedule":
        if data.get("publish_at") is None:
            raise DomainError({"publish_at": _("Choose when to publish.")}, code="publish_at")
        episode_schedule(episode=episode, publish_at=data["publish_at"], by=request.user)
        return _("The episode is scheduled.")
    if action == "unschedule":
        episode_unschedule(episode=episode)
        return _("The episode is a draft again.")
    if action == "publish_now":
        published = episode_publish_now(episode=episode, by=request.user)
        if published.status == EpisodeStatus.PUBLISHED:
            return _("The episode is published.")
        return _("The episode will be published as soon as its results are ready.")
    if action == "compute":
        results_for_episode(episode=episode, by=request.user)
        return _("The results through the cutoff are being computed.")
    return _("Saved.")


def _choice_label(form: EpisodeForm, block: dict[str, Any]) -> str:
    wanted = episode_figures.choice_of(block)
    return form.block_labels.get(wanted, wanted)


def _form_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages[0])
