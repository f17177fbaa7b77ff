"""Links other apps add to a temperature update's page, such as the award night's.

Surveys never imports awards (ARCHITECTURE.md): an app registers a provider in its
``AppConfig.ready``::

    register_episode_link(award_night_link, namespace="awards")

A provider takes the episode's wave and returns the link to show, or None while there is none
the public may see. ``namespace`` names the public visibility version
(``kundeservice.caching``) the provider's answer depends on: a cached episode page is keyed on
it too, so the link appears (or disappears) as soon as that version moves.
"""

from collections.abc import Callable
from dataclasses import dataclass

from surveys.models import Wave


@dataclass(frozen=True)
class EpisodeLink:
    label: str
    url: str


LinkProvider = Callable[[Wave], EpisodeLink | None]

_providers: list[tuple[LinkProvider, str | None]] = []


def register_episode_link(provider: LinkProvider, *, namespace: str | None = None) -> None:
    """Show ``provider``'s link on every episode page (registering twice adds it once)."""
    if all(existing is not provider for existing, _namespace in _providers):
        _providers.append((provider, namespace))


def unregister_episode_link(provider: LinkProvider) -> None:
    _providers[:] = [(p, n) for p, n in _providers if p is not provider]


def episode_links(wave: Wave) -> list[EpisodeLink]:
    """The links registered providers offer for an episode of ``wave``, in registration order."""
    found = (provider(wave) for provider, _namespace in _providers)
    return [link for link in found if link is not None]


def link_namespaces() -> list[str]:
    """The visibility namespaces the registered links depend on."""
    return sorted({n for _provider, n in _providers if n})
