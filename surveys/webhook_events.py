"""The webhook events surveys sends, registered in the one registry (``webhooks.registry``).

Payloads are thin: ids, the fields a receiver needs to act, and links to the API. Each one is
a part of what the API shows the least role that may read the object there (a response: the
panel manager; published results: anyone; hidden results: those who run results), and the
tests hold them to that. Nothing about the respondent or the observer goes out.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from surveys.models import Response, ResultSet, Study, TemperatureUpdate, Wave
from webhooks.registry import EventData, register_event, register_scope, scope_key

RESPONSE_SAVED = "response.saved"
RESULTS_PUBLISHED = "wave.results_published"
RESULTS_HIDDEN = "wave.results_hidden"
EPISODE_PUBLISHED = "episode.published"
EPISODE_WITHDRAWN = "episode.withdrawn"

_datetime_field = serializers.DateTimeField()


def response_saved_data(response: Response) -> EventData:
    """``response.saved``: a survey response submitted, or an observer report approved; from
    now on it counts in results. Reads ``response.wave`` and ``response.company``: load them
    with the response."""
    return EventData(
        data={
            "id": response.pk,
            "wave": response.wave_id,
            "source": response.source,
            "status": response.status,
            "company": response.company.slug if response.company else None,
            "channel": response.channel,
            "score": response.score,
            "submitted_at": _moment(response.submitted_at),
            "links": {
                "response": _api("response-detail", response.pk),
                "wave": _api("wave-detail", response.wave_id),
            },
        },
        scopes=_wave_scopes(response.wave),
    )


def wave_results_data(wave: Wave) -> EventData:
    """``wave.results_published`` and ``wave.results_hidden``: the wave's current result set as
    the results API shows it."""
    current: ResultSet | None = wave.result_sets.filter(is_current=True).first()
    data: dict[str, Any] = {
        "id": current.pk if current else None,
        "study": wave.study.slug,
        "wave": wave.slug,
        "public": wave.is_public,
    }
    if current is not None:
        data |= {
            "cutoff": current.cutoff.isoformat(),
            "provisional": current.is_provisional,
            "responses": current.responses,
            "links": {
                "result_set": _api("result-set-detail", current.pk),
                "rows": _api("result-set-rows", current.pk),
            },
        }
    return EventData(data=data, scopes=_wave_scopes(wave))


def episode_data(episode: TemperatureUpdate) -> EventData:
    """``episode.published`` and ``episode.withdrawn``: a temperature update as the public
    episodes API shows it (without the text and figures, which a receiver fetches from the
    link). Reads ``episode.wave.study``: load it with the episode."""
    wave = episode.wave
    return EventData(
        data={
            "id": episode.pk,
            "study": wave.study.slug,
            "wave": wave.slug,
            "number": episode.number,
            "status": episode.status,
            "title": episode.title,
            "title_en": episode.title_en,
            "cutoff": episode.cutoff.isoformat(),
            "published_at": _moment(episode.published_at),
            "withdrawn_at": _moment(episode.withdrawn_at),
            "withdrawn_reason": episode.withdrawn_reason,
            "links": {
                "episode": _api("episode-detail", episode.pk),
                "page": settings.SITE_URL
                + reverse("temperature-episode", args=[wave.study.slug, wave.slug, episode.number]),
            },
        },
        scopes=_wave_scopes(wave),
    )


def _wave_scopes(wave: Wave) -> frozenset[str]:
    return frozenset({scope_key("wave", wave.pk), scope_key("study", wave.study_id)})


def _api(name: str, pk: int) -> str:
    return settings.SITE_URL + reverse(name, args=[pk])


def _moment(value: datetime | None) -> str | None:
    """A timestamp exactly as the API writes it."""
    return None if value is None else _datetime_field.to_representation(value)


def _studies() -> list[tuple[int, str]]:
    return [(study.pk, study.display_name) for study in Study.objects.order_by("name")]


def _waves() -> list[tuple[int, str]]:
    waves = Wave.objects.select_related("study").order_by("study__name", "-starts_on")
    return [(wave.pk, f"{wave.study.display_name} · {wave.display_name}") for wave in waves]


register_event(
    name=RESPONSE_SAVED,
    version=1,
    description=gettext_lazy(
        "A survey response was submitted, or an observer report approved: it counts in results."
    ),
    build=response_saved_data,
)
register_event(
    name=RESULTS_PUBLISHED,
    version=1,
    description=gettext_lazy("A wave's results were published."),
    build=wave_results_data,
)
register_event(
    name=RESULTS_HIDDEN,
    version=1,
    description=gettext_lazy("A wave's published results were hidden again."),
    build=wave_results_data,
)
register_event(
    name=EPISODE_PUBLISHED,
    version=1,
    description=gettext_lazy("A temperature update (episode) was published."),
    build=episode_data,
)
register_event(
    name=EPISODE_WITHDRAWN,
    version=1,
    description=gettext_lazy("A published temperature update was withdrawn."),
    build=episode_data,
)
register_scope(kind="study", label=gettext_lazy("Study"), choices=_studies)
register_scope(kind="wave", label=gettext_lazy("Wave"), choices=_waves)
