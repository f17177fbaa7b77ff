"""Places other apps fill on surveys' pages without surveys importing them (the layering is
awards → surveys → kundeservice).

An app registers, in its ``AppConfig.ready``, a panel for a company's results page (the award
lists the prizes a company won), or a link on a temperature update's page (the award night's).
Each names the public-cache namespace its content depends on, so a cached page is rebuilt when
that content's visibility changes (a reveal, an award page going public).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString


@dataclass(frozen=True)
class CompanyPanel:
    """HTML shown on a company's results pages: ``render(request, company)`` gives safe HTML
    (empty for nothing to show)."""

    namespace: str
    render: Callable[[HttpRequest, Any], SafeString]


_company_panels: list[CompanyPanel] = []


def register_company_panel(panel: CompanyPanel) -> None:
    if panel not in _company_panels:
        _company_panels.append(panel)


def company_panels() -> list[CompanyPanel]:
    return list(_company_panels)


@dataclass(frozen=True)
class EpisodeLink:
    """A link on every episode of a wave: ``link(wave)`` gives its (label, url), or None while
    there is nothing the public may see."""

    namespace: str
    link: Callable[[Any], tuple[str, str] | None]


_episode_links: list[EpisodeLink] = []


def register_episode_link(link: EpisodeLink) -> None:
    if link not in _episode_links:
        _episode_links.append(link)


def unregister_episode_link(link: EpisodeLink) -> None:
    if link in _episode_links:
        _episode_links.remove(link)


def episode_links() -> list[EpisodeLink]:
    return list(_episode_links)


@dataclass(frozen=True)
class SitemapSection:
    """A section of the site's sitemap another app adds; ``namespace`` is the public-cache
    namespace whose visibility changes what it lists."""

    key: str
    sitemap: Any
    namespace: str


_sitemap_sections: list[SitemapSection] = []


def register_sitemap(section: SitemapSection) -> None:
    if all(s.key != section.key for s in _sitemap_sections):
        _sitemap_sections.append(section)


def sitemap_sections() -> list[SitemapSection]:
    return list(_sitemap_sections)
