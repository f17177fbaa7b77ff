"""Temperature updates for readers: the series of each wave, an episode's page, its cover and
share image, and e-mail subscription (ask, confirm, unsubscribe).

Pages are cached for anonymous readers (``kundeservice.caching``): every request, cache hits
included, first asks the database whether the episode is public, and keys carry the
``episodes`` visibility version that publishing and withdrawing move. Before it is published an
episode does not exist for the public (404); editors preview it at the same address.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.sitemaps.views import sitemap
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from kundeservice.caching import cached_for_the_public
from kundeservice.ratelimits import over_limit
from kundeservice.roles import Role, user_has_role
from surveys import episode_selectors as episodes
from surveys.extensions import episode_links, sitemap_sections
from surveys.models import SubscriberStatus
from surveys.services.aggregation import RESULTS_NAMESPACE
from surveys.services.episodes import EPISODES_NAMESPACE
from surveys.services.subscriptions import (
    ConfirmOutcome,
    subscriber_from_token,
    subscription_cancel,
    subscription_confirm,
    subscription_request,
)
from surveys.share_image import share_image_png
from surveys.sitemaps import SITEMAPS

#: Who writes, schedules and previews temperature updates.
EPISODE_ROLES = (Role.STAFF_ADMIN, Role.EDITOR)
SUBSCRIBE_RATE = "10/h"


def everything(**_kwargs: Any) -> str:
    """The visibility token of pages listing whatever is published (the version says the rest)."""
    return "all"


def cached(visible: Any) -> Any:
    """Cache anonymous reads under the ``episodes`` version, after ``visible`` said yes."""
    return cached_for_the_public(namespace=EPISODES_NAMESPACE, visible=visible)


def _episode(request: HttpRequest, study: str, wave: str, number: int) -> Any:
    preview = user_has_role(request.user, *EPISODE_ROLES)
    found = episodes.episode_for_reader(study=study, wave=wave, number=number, preview=preview)
    if found is None:
        raise Http404(_("There is no such episode."))
    return found


@require_GET
@cached(everything)
def temperature_index(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/episodes/index.html", {"series_list": episodes.series_index()})


@require_GET
@cached(episodes.public_series_token)
def temperature_series(request: HttpRequest, study: str, wave: str) -> HttpResponse:
    found = episodes.series(study=study, wave=wave)
    if found is None:
        raise Http404(_("This wave has no temperature updates yet."))
    return render(request, "surveys/episodes/series.html", {"series": found, "wave": found.wave})


def _episode_namespaces() -> tuple[str, ...]:
    """An episode's page shows links other apps add: their visibility versions key it too."""
    return (EPISODES_NAMESPACE, *sorted({e.namespace for e in episode_links()}))


@require_GET
@cached_for_the_public(namespace=_episode_namespaces, visible=episodes.public_episode_token)
def temperature_episode(request: HttpRequest, study: str, wave: str, number: int) -> HttpResponse:
    episode = _episode(request, study, wave, number)
    page = episodes.episode_page(episode)
    return render(
        request,
        "surveys/episodes/episode.html",
        {
            "page": page,
            "episode": episode,
            "wave": episode.wave,
            "share_image": request.build_absolute_uri(
                reverse("temperature-share-image", args=[study, wave, number])
            ),
            "canonical": request.build_absolute_uri(episodes.episode_url(episode)),
        },
    )


@require_GET
@cached(episodes.public_episode_token)
def temperature_share_image(
    request: HttpRequest, study: str, wave: str, number: int
) -> HttpResponse:
    """The 1200×630 PNG that link previews show: the headline figure."""
    episode = _episode(request, study, wave, number)
    page = episodes.episode_page(episode)
    png = share_image_png(episode=episode, headline=page.headline, provisional=page.provisional)
    return HttpResponse(png, content_type="image/png")


@require_GET
def temperature_cover(request: HttpRequest, study: str, wave: str, number: int) -> FileResponse:
    """The cover image, behind the same check as the page (never a public file before)."""
    episode = _episode(request, study, wave, number)
    if not episode.cover:
        raise Http404(_("The episode has no cover image."))
    response = FileResponse(episode.cover.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600" if episode.is_public else "private, no-store"
    return response


def _sitemap_namespaces() -> tuple[str, ...]:
    """What the sitemap lists changes with results, episodes and other apps' sections."""
    added = {section.namespace for section in sitemap_sections()}
    return (EPISODES_NAMESPACE, RESULTS_NAMESPACE, *sorted(added))


@require_GET
@cached_for_the_public(namespace=_sitemap_namespaces, visible=everything)
def temperature_sitemap(request: HttpRequest) -> HttpResponse:
    """The site's sitemap: public results, episodes and their series, and what other apps add
    (rendered here, so it can be cached)."""
    sections = {section.key: section.sitemap for section in sitemap_sections()}
    response = sitemap(request, sitemaps={**SITEMAPS, **sections})
    response.render()
    return response


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"), max_length=254)
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the e-mails"), choices=settings.LANGUAGES
    )


@require_http_methods(["GET", "POST"])
def temperature_subscribe(request: HttpRequest) -> HttpResponse:
    """Ask for episodes by e-mail; a confirmation link is mailed (double opt-in)."""
    form = SubscribeForm(initial={"language": episodes.reader_language()})
    status = 200
    if request.method == "POST":
        form = SubscribeForm(request.POST)
        if over_limit(request, group="temperature-subscribe", rate=SUBSCRIBE_RATE):
            form.add_error(None, _("Too many requests from your address. Try again later."))
            status = 429
        elif form.is_valid():
            subscription_request(
                email=form.cleaned_data["email"], language=form.cleaned_data["language"]
            )
            return render(request, "surveys/episodes/subscribe.html", {"requested": True})
        else:
            status = 400
    return render(request, "surveys/episodes/subscribe.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def temperature_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the confirmation mail: a button (mail scanners open links, people press
    buttons), then the subscription starts."""
    subscriber = subscriber_from_token(token, purpose="confirm")
    if subscriber is None:
        return render(request, "surveys/episodes/confirm.html", {"found": False}, status=404)
    outcome = subscription_confirm(subscriber=subscriber) if request.method == "POST" else None
    return render(
        request,
        "surveys/episodes/confirm.html",
        {"found": True, "outcome": outcome, "outcomes": ConfirmOutcome, "token": token},
    )


@csrf_exempt  # mail clients POST here without a session (RFC 8058); the token is the credential
@require_http_methods(["GET", "POST"])
def temperature_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriber_from_token(token, purpose="unsubscribe")
    if subscriber is None:
        return render(request, "surveys/episodes/unsubscribe.html", {"found": False}, status=404)
    with translation.override(subscriber.language):
        if request.method == "POST":
            subscription_cancel(subscriber=subscriber)
            return render(
                request, "surveys/episodes/unsubscribe.html", {"found": True, "done": True}
            )
        return render(
            request,
            "surveys/episodes/unsubscribe.html",
            {"found": True, "done": subscriber.status != SubscriberStatus.CONFIRMED},
        )
