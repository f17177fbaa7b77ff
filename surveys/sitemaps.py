"""The sitemap: published results (each wave's overview), temperature updates and their series,
in both languages; other apps add sections through ``surveys.extensions.register_sitemap``."""

from datetime import datetime
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from surveys import episode_selectors as episodes
from surveys import result_selectors
from surveys.models import ResultSet, TemperatureUpdate, Wave


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


class ResultsSitemap(Sitemap[ResultSet]):
    """Each public wave's results overview (its pages link the rest)."""

    i18n = True
    alternates = True
    x_default = True
    changefreq = "weekly"

    def items(self) -> list[ResultSet]:
        return list(result_selectors.published_sets())

    def location(self, item: ResultSet) -> str:
        return reverse("results-wave", args=[item.wave.study.slug, item.wave.slug])

    def lastmod(self, item: ResultSet) -> datetime | None:
        return item.completed_at


SITEMAPS: dict[str, type[Sitemap[Any]] | Sitemap[Any]] = {
    "results": ResultsSitemap,
    "temperature": EpisodeSitemap,
    "temperature-series": SeriesSitemap,
}
