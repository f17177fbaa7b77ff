"""The share image of an episode (Open Graph and Twitter cards): a 1200×630 PNG of its headline
figure, drawn with Pillow in the reader's language."""

import io

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from surveys.episode_selectors import FigureRow
from surveys.models import TemperatureUpdate
from surveys.templatetags.results import figure, interval

WIDTH, HEIGHT = 1200, 630
MARGIN = 64
BACKGROUND = (16, 42, 67)
TEXT = (255, 255, 255)
MUTED = (190, 210, 228)
ACCENT = (255, 196, 87)


def share_image_png(
    *, episode: TemperatureUpdate, headline: FigureRow | None, provisional: bool
) -> bytes:
    """The PNG's bytes: programme and episode, its title, and the headline figure with its
    interval and n (or the title alone while there is none)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    small, medium, large, huge = (ImageFont.load_default(size=s) for s in (30, 44, 56, 150))
    wave = episode.wave
    draw.text(
        (MARGIN, MARGIN),
        _("%(site)s · %(wave)s, episode %(n)d")
        % {"site": settings.SITE_NAME, "wave": wave.display_name, "n": episode.number},
        font=small,
        fill=MUTED,
    )
    y = MARGIN + 56
    for line in _wrapped(draw, episode.display_title, large, WIDTH - 2 * MARGIN)[:2]:
        draw.text((MARGIN, y), line, font=large, fill=TEXT)
        y += 68
    if headline is not None and not headline.row.suppressed:
        y = max(y + 24, 290)
        value = figure(headline.row)
        draw.text((MARGIN, y), value, font=huge, fill=ACCENT)
        x = MARGIN + draw.textlength(value, font=huge) + 40
        draw.text((x, y + 24), headline.label[:48], font=medium, fill=TEXT)
        draw.text(
            (x, y + 84),
            _("95 %% interval %(interval)s · n = %(n)d")
            % {"interval": interval(headline.row), "n": headline.row.n},
            font=small,
            fill=MUTED,
        )
    if provisional:
        draw.text((MARGIN, HEIGHT - MARGIN - 30), _("Provisional results"), font=small, fill=ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font: object, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and draw.textlength(candidate, font=font) > width:  # type: ignore[arg-type]
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
