"""Reads of temperature updates for the public pages, feeds, sitemap, API and e-mails.

The public sees an episode once it is published (a withdrawn one as a notice); before that it
does not exist for them anywhere (404). Editors preview a draft or scheduled episode at its own
address, with figures built live from the set publishing would freeze.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.urls import reverse
from django.utils.translation import get_language

from surveys import episode_figures, episode_text
from surveys.extensions import episode_links
from surveys.models import (
    PUBLIC_STATUSES,
    EpisodeStatus,
    ResultRow,
    TemperatureUpdate,
    Wave,
)


def reader_language() -> str:
    return "en" if (get_language() or "nb").startswith("en") else "nb"


def published_episodes() -> QuerySet[TemperatureUpdate]:
    """Published episodes (not withdrawn ones), newest first: the feeds, sitemap and API list."""
    return (
        TemperatureUpdate.objects.filter(status=EpisodeStatus.PUBLISHED)
        .select_related("wave__study")
        .order_by("-published_at", "-id")
    )


def episode_url(episode: TemperatureUpdate) -> str:
    wave = episode.wave
    return reverse("temperature-episode", args=[wave.study.slug, wave.slug, episode.number])


def series_url(wave: Wave) -> str:
    return reverse("temperature-series", args=[wave.study.slug, wave.slug])


def public_episode_token(*, study: str, wave: str, number: int, **_kwargs: Any) -> str | None:
    """What the public may see of an episode, checked on every request (cache hits included):
    None before it is published; else a token that changes with its status."""
    found = (
        TemperatureUpdate.objects.filter(
            wave__study__slug=study, wave__slug=wave, number=number, status__in=PUBLIC_STATUSES
        )
        .values_list("pk", "status")
        .first()
    )
    return None if found is None else f"{found[0]}:{found[1]}"


def public_series_token(*, study: str, wave: str, **_kwargs: Any) -> int | None:
    """The wave's id when the public may see its series (it has a public episode), else None."""
    return (
        TemperatureUpdate.objects.filter(
            wave__study__slug=study, wave__slug=wave, status__in=PUBLIC_STATUSES
        )
        .values_list("wave_id", flat=True)
        .first()
    )


def episode_for_reader(
    *, study: str, wave: str, number: int, preview: bool
) -> TemperatureUpdate | None:
    """The episode if this reader may see it: everyone once it is public, editors before."""
    episodes = TemperatureUpdate.objects.filter(
        wave__study__slug=study, wave__slug=wave, number=number
    ).select_related("wave__study")
    if not preview:
        episodes = episodes.filter(status__in=PUBLIC_STATUSES)
    return episodes.first()


@dataclass
class Series:
    wave: Wave
    episodes: list[TemperatureUpdate]


def series(*, study: str, wave: str) -> Series | None:
    """A wave's public episodes, newest first; None while it has none."""
    episodes = list(
        TemperatureUpdate.objects.filter(
            wave__study__slug=study, wave__slug=wave, status__in=PUBLIC_STATUSES
        )
        .select_related("wave__study")
        .order_by("-number")
    )
    if not episodes:
        return None
    return Series(wave=episodes[0].wave, episodes=episodes)


def series_index() -> list[tuple[Wave, int, TemperatureUpdate | None]]:
    """Every wave with published episodes: the wave, how many, and the newest (two queries)."""
    waves = list(
        Wave.objects.filter(episodes__status=EpisodeStatus.PUBLISHED)
        .annotate(
            published=Count("episodes", filter=Q(episodes__status=EpisodeStatus.PUBLISHED)),
            newest=Max("episodes__number", filter=Q(episodes__status=EpisodeStatus.PUBLISHED)),
        )
        .select_related("study")
        .order_by("-starts_on", "name")
    )
    newest = {
        (e.wave_id, e.number): e
        for e in TemperatureUpdate.objects.filter(
            status=EpisodeStatus.PUBLISHED, wave__in=waves
        ).select_related("wave__study")
    }
    return [(w, w.published, newest.get((w.pk, w.newest))) for w in waves]


@dataclass
class FigureRow:
    label: str
    note: str
    row: ResultRow  # unsaved: carries the frozen numbers for the results template tags


@dataclass
class FigureBlock:
    number: int
    kind: str
    title: str
    base: str
    rows: list[FigureRow]
    provisional: bool
    minimum_n: int  # as it was when frozen (the results' cells template reads it)

    @property
    def result_rows(self) -> list[ResultRow]:
        return [r.row for r in self.rows]

    @property
    def labels(self) -> list[str]:
        return [r.label for r in self.rows]


def _row(frozen: dict[str, Any], language: str) -> FigureRow:
    row = ResultRow(
        scope=frozen["scope"],
        measure=frozen["measure"],
        metric=frozen["metric"],
        channel=frozen.get("channel") or "",
        n=frozen["n"],
        n_eff=frozen.get("n_eff") or 0.0,
        value=frozen.get("value"),
        ci_low=frozen.get("ci_low"),
        ci_high=frozen.get("ci_high"),
        rank=frozen.get("rank"),
        tied=frozen.get("statistically_tied", False),
        previous_value=frozen.get("previous_value"),
        change=frozen.get("change"),
        change_low=frozen.get("change_low"),
        change_high=frozen.get("change_high"),
        significant=frozen.get("significant", False),
        suppressed=frozen.get("suppressed", False),
    )
    return FigureRow(
        label=frozen["label"].get(language) or frozen["label"].get("nb", ""),
        note=frozen.get("note", {}).get(language, ""),
        row=row,
    )


def figure_blocks(snapshot: dict[str, Any], language: str) -> dict[int, FigureBlock]:
    """The frozen blocks as the template shows them, by number."""
    provisional = bool(snapshot.get("provisional"))
    return {
        block["number"]: FigureBlock(
            number=block["number"],
            kind=block["kind"],
            title=block["title"].get(language) or block["title"].get("nb", ""),
            base=block["base"].get(language) or block["base"].get("nb", ""),
            rows=[_row(r, language) for r in block["rows"]],
            provisional=provisional,
            minimum_n=snapshot.get("minimum_n", 0),
        )
        for block in snapshot.get("blocks", [])
    }


def headline_of(
    episode: TemperatureUpdate, snapshot: dict[str, Any] | None = None
) -> FigureRow | None:
    """The episode's headline figure (the overall score), for e-mails, feeds and the share
    image."""
    frozen = (snapshot if snapshot is not None else episode.figures).get("headline")
    return _row(frozen, reader_language()) if frozen else None


@dataclass
class Piece:
    html: str = ""
    figure: FigureBlock | None = None


@dataclass
class EpisodePage:
    episode: TemperatureUpdate
    pieces: list[Piece]
    body_language: str  # "nb" when an English reader gets the Norwegian text
    snapshot: dict[str, Any] | None
    headline: FigureRow | None
    embed: episode_text.Embed | None
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url) other apps add

    @property
    def provisional(self) -> bool:
        return bool(self.snapshot and self.snapshot.get("provisional"))

    @property
    def is_preview(self) -> bool:
        return not self.episode.is_public


def episode_page(episode: TemperatureUpdate) -> EpisodePage:
    """What an episode's page shows: the frozen figures once published; in a preview, the
    figures publishing would freeze now (None while there are no results through the cutoff)."""
    language = reader_language()
    snapshot: dict[str, Any] | None = episode.figures or None
    if not episode.is_public:
        result_set = episode_figures.eligible_result_set(
            wave_id=episode.wave_id, cutoff=episode.cutoff
        )
        snapshot = (
            episode_figures.figures_freeze(episode=episode, result_set=result_set)
            if result_set is not None
            else None
        )
    blocks = figure_blocks(snapshot, language) if snapshot else {}
    english = language == "en" and bool(episode.body_en.strip())
    body = episode.body_en if english else episode.body
    parts = episode_text.body_parts(body, [b["number"] for b in episode.blocks])
    pieces = [
        Piece(html=p.html) if p.figure is None else Piece(figure=blocks.get(p.figure))
        for p in parts
        if p.figure is None or p.figure in blocks
    ]
    return EpisodePage(
        episode=episode,
        pieces=pieces,
        body_language="en" if english else "nb",
        snapshot=snapshot,
        headline=headline_of(episode, snapshot) if snapshot else None,
        embed=episode_text.recording_embed(episode.recording_url),
        links=[found for e in episode_links() if (found := e.link(episode.wave)) is not None],
    )
