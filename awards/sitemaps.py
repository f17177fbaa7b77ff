"""The award night's section of the site's sitemap: each public night's page and its winners
page; a draft night is not there."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from awards.models import AwardEvent, EventState


class AwardSitemap(Sitemap[tuple[AwardEvent, str]]):
    i18n = True
    alternates = True
    x_default = True
    changefreq = "daily"

    def items(self) -> list[tuple[AwardEvent, str]]:
        events = AwardEvent.objects.exclude(state=EventState.DRAFT).order_by("-starts_at")
        return [(event, page) for event in events for page in ("award-event", "award-winners")]

    def location(self, item: tuple[AwardEvent, str]) -> str:
        event, page = item
        return reverse(page, args=[event.slug])
