"""Demo temperature updates for the Kundeserviceprisen wave: five published episodes with
cutoffs a month apart (the last through yesterday), each with three figure blocks, and a sixth
scheduled for next week, through the end of this week.

Each published episode's results are computed here, through its cutoff, without becoming the
results pages' current set, and it is published as beat would have at its time."""

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from surveys.models import EpisodeStatus, ResultSet, TemperatureUpdate, Wave
from surveys.services.aggregation import aggregation_run
from surveys.services.episodes import (
    episode_block_add,
    episode_publish,
    episode_save,
    episode_schedule,
)

PUBLISHED = 5
#: Each episode's third block, after the overall score and the channels.
THIRD_BLOCKS = [
    "areas",
    "share:q:valued=yes",
    "indicator:ind:nei-til-begge",
    "share:q:would_buy=yes",
    "top",
    "areas",
]
TITLES = [
    ("Første måling: telefonen tar ledelsen", "First reading: the phone takes the lead"),
    ("Chat tar innpå", "Chat catches up"),
    ("Flere føler seg verdsatt", "More customers feel valued"),
    ("E-posten henger etter", "E-mail lags behind"),
    ("Innspurten: hvem leder i bransjene?", "The home straight: who leads each industry?"),
    ("Siste temperatur før finalen", "The last reading before the final"),
]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def seed_episodes(*, stdout_lines: list[str]) -> None:
    """Create the demo episodes; skipped when the wave has episodes already."""
    wave = (
        Wave.objects.filter(study__slug="kundeserviceprisen", slug="2026")
        .select_related("study", "questionnaire")
        .first()
    )
    if wave is None or wave.episodes.exists():
        return
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    cutoffs = [months_before(yesterday, PUBLISHED - 1 - n) for n in range(PUBLISHED)]
    cutoffs = [c for c in cutoffs if c >= wave.starts_on]
    for number, cutoff in enumerate(cutoffs, start=1):
        episode = _write(wave, number=number, cutoff=cutoff)
        result_set = ResultSet.objects.create(
            wave=wave, cutoff=cutoff, is_final=cutoff >= wave.ends_on, becomes_current=False
        )
        aggregation_run(result_set_id=result_set.pk)
        publish_at = timezone.make_aware(datetime.combine(cutoff + timedelta(days=1), time(10)))
        episode_schedule(episode=episode, publish_at=publish_at)
        episode_publish(episode_id=episode.pk, now=publish_at)
    number = len(cutoffs) + 1
    end_of_week = today + timedelta(days=6 - today.weekday())
    upcoming = _write(wave, number=number, cutoff=min(end_of_week, wave.ends_on))
    next_week = timezone.make_aware(datetime.combine(end_of_week + timedelta(days=1), time(10)))
    episode_schedule(episode=upcoming, publish_at=next_week)
    published = wave.episodes.filter(status=EpisodeStatus.PUBLISHED).count()
    stdout_lines.append(
        f"  temperature updates: {published} published, episode {number} scheduled for "
        f"{next_week:%Y-%m-%d %H:%M}"
    )


def _write(wave: Wave, *, number: int, cutoff: date) -> TemperatureUpdate:
    """An episode with its text, links and three figure blocks, placed in the text."""
    title, title_en = TITLES[(number - 1) % len(TITLES)]
    episode = episode_save(
        wave=wave,
        fields={
            "number": number,
            "title": title,
            "title_en": title_en,
            "lead": (
                f"Resultatene så langt, til og med {cutoff:%d.%m.%Y}: slik svarer norsk "
                "kundeservice på telefon, chat, e-post og Messenger."
            ),
            "lead_en": (
                f"The results so far, through {cutoff:%d %B %Y}: how Norwegian customer service "
                "answers by phone, chat, e-mail and Messenger."
            ),
            "body": (
                "Velkommen til en ny temperaturmåling. Tallene er **foreløpige**: målingen "
                "pågår, og hver figur viser hvor mange kontakter den bygger på og hvor usikker "
                "den er.\n\n"
                "## Totalt\n\nSlik ligger totalscoren an så langt.\n\n"
                "## Kanalene\n\nTelefonen leder fortsatt, mens e-post henger etter.\n\n"
                "## Verdt å merke seg\n\n"
                "Se opptaket av webinaret, og meld deg på det neste."
            ),
            "cutoff": cutoff,
            "webinar_url": "https://kundeservice.example.no/webinar/temperaturen",
            "recording_url": "https://vimeo.com/76979871",
        },
    )
    third = THIRD_BLOCKS[(number - 1) % len(THIRD_BLOCKS)]
    for choice, after in [
        ("overall", "Slik ligger totalscoren"),
        ("channels", "Telefonen leder"),
        (third, "## Verdt å merke seg"),
    ]:
        episode_block_add(episode=episode, choice=choice, at=episode.body.index(after))
    return episode_save(
        wave=wave,
        episode=episode,
        fields={
            "body_en": (
                "Welcome to a new temperature reading. The figures are **provisional**: the "
                "measurement is still running, and each figure shows how many contacts it rests "
                "on and how uncertain it is.\n\n"
                "## Overall\n\n[[figur 1]]\n\n"
                "## The channels\n\nThe phone still leads; e-mail lags behind.\n\n[[figur 2]]\n\n"
                "## Worth noting\n\n[[figur 3]]\n\n"
                "Watch the webinar's recording, and sign up for the next one."
            )
        },
    )
