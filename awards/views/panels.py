"""What the award adds to other apps' surfaces: the prizes a company won on its results pages,
once revealed (through ``surveys.extensions``), and the live feed's 304s answered before
Django's request stack (``kundeservice.notmodified``)."""

import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from awards import selectors
from awards.selectors import AWARDS_NAMESPACE
from awards.sitemaps import AwardSitemap
from kundeservice.notmodified import Conditional, register_conditional
from surveys.extensions import (
    CompanyPanel,
    EpisodeLink,
    SitemapSection,
    register_company_panel,
    register_episode_link,
    register_sitemap,
)


def prizes_panel(request: HttpRequest, company: Any) -> SafeString:
    prizes = selectors.prizes_won(company_id=company.pk)
    if not prizes:
        return SafeString("")
    html = render_to_string("awards/_prizes.html", {"prizes": prizes}, request)
    return mark_safe(html)  # noqa: S308 - a rendered template, escaped as usual


def live_feed_patterns() -> list[re.Pattern[str]]:
    """The live feed's path in every language (from the URLconf)."""
    found = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            path = reverse("award-live-feed", args=["SLUG"])
        found.append(re.compile(re.escape(path).replace("SLUG", r"(?P<slug>[-a-zA-Z0-9_]+)")))
    return found


def live_feed_etag(match: re.Match[str]) -> str | None:
    """The live feed's ETag as the view computes it (``public.live_feed``)."""
    token = selectors.public_token(slug=match["slug"])
    if token is None:
        return None
    language = next(
        (code for code, _name in settings.LANGUAGES if match.string.startswith(f"/{code}/")),
        settings.LANGUAGE_CODE,
    )
    with translation.override(language):
        return selectors.live_etag(token)


def award_night_link(wave: Any) -> tuple[str, str] | None:
    """An episode's link to the award night its wave decides (or the next public one)."""
    event = selectors.award_night_for_wave(wave_id=wave.pk)
    if event is None:
        return None
    label = _("The award night: %(event)s") % {"event": event.display_name}
    return label, reverse("award-event", args=[event.slug])


def register_panels() -> None:
    register_company_panel(CompanyPanel(namespace=AWARDS_NAMESPACE, render=prizes_panel))
    register_episode_link(EpisodeLink(namespace=AWARDS_NAMESPACE, link=award_night_link))
    register_sitemap(SitemapSection(key="awards", sitemap=AwardSitemap, namespace=AWARDS_NAMESPACE))
    # The feed is the same for everyone (what is revealed, in the path's language): a copy of
    # it serves every phone that polls after a reveal.
    register_conditional(
        Conditional(
            name="award-live-feed",
            patterns=live_feed_patterns,
            etag=live_feed_etag,
            shared=True,
        )
    )
