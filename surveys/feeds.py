"""RSS and Atom feeds of published temperature updates, for everything and per wave (Django's
syndication framework), in the reader's language. Withdrawn and unpublished episodes are never
in a feed."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from surveys import episode_selectors as episodes
from surveys.models import TemperatureUpdate, Wave
from surveys.templatetags.results import figure

FEED_LENGTH = 50


class EpisodesFeed(Feed):
    """Every published episode, newest first."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Wave | None:
        return None

    def title(self, obj: Wave | None) -> str:
        if obj is None:
            return _("%(site)s: temperature updates") % {"site": settings.SITE_NAME}
        return _("%(wave)s: temperature updates") % {"wave": obj.display_name}

    def link(self, obj: Wave | None) -> str:
        return episodes.series_url(obj) if obj is not None else reverse("temperature-index")

    def description(self, obj: Wave | None) -> str:
        return _("Results so far during the measurement period, episode by episode.")

    def items(self, obj: Wave | None) -> list[TemperatureUpdate]:
        found = episodes.published_episodes()
        if obj is not None:
            found = found.filter(wave=obj)
        return list(found[:FEED_LENGTH])

    def item_title(self, item: TemperatureUpdate) -> str:
        return _("Episode %(n)d: %(title)s") % {"n": item.number, "title": item.display_title}

    def item_description(self, item: TemperatureUpdate) -> str:
        headline = episodes.headline_of(item)
        if headline is None or headline.row.suppressed:
            return item.display_lead
        return f"{item.display_lead} {headline.label}: {figure(headline.row)}"

    def item_link(self, item: TemperatureUpdate) -> str:
        return episodes.episode_url(item)

    def item_pubdate(self, item: TemperatureUpdate) -> datetime | None:
        return item.published_at

    def item_updateddate(self, item: TemperatureUpdate) -> datetime | None:
        return item.updated_at


class SeriesFeed(EpisodesFeed):
    """A wave's published episodes; 404 while it has none."""

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Wave | None:
        if episodes.public_series_token(study=kwargs["study"], wave=kwargs["wave"]) is None:
            raise Http404(_("This wave has no temperature updates yet."))
        return Wave.objects.select_related("study").get(
            study__slug=kwargs["study"], slug=kwargs["wave"]
        )


class AtomEpisodesFeed(EpisodesFeed):
    feed_type = Atom1Feed
    subtitle = EpisodesFeed.description


class AtomSeriesFeed(SeriesFeed):
    feed_type = Atom1Feed
    subtitle = SeriesFeed.description
