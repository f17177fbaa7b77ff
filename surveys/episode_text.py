"""What editors write, made safe to show: Markdown, figure markers and video embeds.

The body is CommonMark rendered by ``kundeservice.markdown`` (markdown-it-py with raw HTML
turned off, so a ``<script>`` is shown as text; then sanitised by nh3 to a short list of tags
and http(s)/mailto links), with images off: no third-party request from an episode's text.
Whatever the parser lets by, no script, event handler, ``javascript:`` URL or iframe reaches a
reader.

A figure block is placed by a line of its own, ``[[figur 2]]`` (``[[figure 2]]`` works too),
which the console inserts from a list; blocks the body does not place follow it in order.

A recording on YouTube or Vimeo is embedded through the privacy-enhanced player
(youtube-nocookie.com, Vimeo with ``dnt=1``), and only after the reader asks for it: the page
carries the player's address in a data attribute and a button; ``episodes.js`` builds the
iframe on click. Until then nothing is requested from the video host.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from kundeservice.markdown import render_markdown

FIGURE_MARKER = re.compile(r"^[ \t]*\[\[\s*(?:figur|figure)\s+(\d{1,3})\s*\]\][ \t]*$", re.M)


@dataclass(frozen=True)
class Part:
    """A piece of a body: safe HTML, or the number of a figure block to show there."""

    html: str = ""
    figure: int | None = None


def markdown_html(source: str) -> str:
    """Sanitised HTML of a Markdown text, without images (``kundeservice.markdown``)."""
    return str(render_markdown(source, images=False))


def figure_numbers(source: str) -> list[int]:
    """The figure blocks a body places, in order."""
    return [int(m.group(1)) for m in FIGURE_MARKER.finditer(source)]


def body_parts(source: str, numbers: list[int]) -> list[Part]:
    """The body as sanitised HTML between its figure blocks; blocks among ``numbers`` that it
    does not place come after it, and markers of blocks that do not exist are dropped."""
    parts: list[Part] = []
    placed: set[int] = set()
    position = 0
    for match in FIGURE_MARKER.finditer(source):
        parts.append(Part(html=markdown_html(source[position : match.start()])))
        number = int(match.group(1))
        if number in numbers and number not in placed:
            parts.append(Part(figure=number))
            placed.add(number)
        position = match.end()
    parts.append(Part(html=markdown_html(source[position:])))
    parts.extend(Part(figure=n) for n in numbers if n not in placed)
    return [p for p in parts if p.figure is not None or p.html.strip()]


@dataclass(frozen=True)
class Embed:
    """A recording that may be played on the page, once the reader asks."""

    host: str  # "YouTube" or "Vimeo"
    src: str  # the privacy-enhanced player's address


YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com"}
YOUTUBE_HOSTS |= {"www.youtube-nocookie.com"}


def recording_embed(url: str) -> Embed | None:
    """The privacy-enhanced player for a YouTube or Vimeo link; None for any other link (it is
    shown as a plain link)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"}:
        return None
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    video: Any = None
    if host in YOUTUBE_HOSTS:
        if parts.path == "/watch":
            video = parse_qs(parts.query).get("v", [""])[0]
        elif len(segments) == 2 and segments[0] in {"embed", "live", "shorts"}:
            video = segments[1]
        if video and YOUTUBE_ID.match(video):
            return Embed("YouTube", f"https://www.youtube-nocookie.com/embed/{video}")
    elif host == "youtu.be" and len(segments) == 1 and YOUTUBE_ID.match(segments[0]):
        return Embed("YouTube", f"https://www.youtube-nocookie.com/embed/{segments[0]}")
    elif host in {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}:
        video = segments[-1] if segments else ""
        if VIMEO_ID.match(video) and (len(segments) == 1 or segments[:1] == ["video"]):
            return Embed("Vimeo", f"https://player.vimeo.com/video/{video}?dnt=1")
    return None
