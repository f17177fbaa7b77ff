"""The sitemap: published temperature updates and their series, in both languages."""

from datetime import datetime
from typing import Any

from django.contrib.sitemaps import Sitemap

from surveys import episode_selectors as episodes
from surveys.models import TemperatureUpdate, Wave


class EpisodeSitemap(Sitemap[TemperatureUpdate]):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "monthly"

    def items(self) -> list[TemperatureUpdate]:
        return list(episodes.published_episodes())

    def location(self, item: TemperatureUpdate) -> str:
        return episodes.episode_url(item)

    def lastmod(self, item: TemperatureUpdate) -> datetime | None:
        return item.updated_at


class SeriesSitemap(Sitemap[Wave]):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self) -> list[Wave]:
        return [wave for wave, _count, _newest in episodes.series_index()]

    def location(self, item: Wave) -> str:
        return episodes.series_url(item)


SITEMAPS: dict[str, type[Sitemap[Any]] | Sitemap[Any]] = {
    "temperature": EpisodeSitemap,
    "temperature-series": SeriesSitemap,
}
