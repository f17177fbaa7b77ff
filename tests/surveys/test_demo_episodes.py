"""seed_demo's temperature updates: five published a month apart, one scheduled next week."""

import itertools
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys.demo import seed_groups_and_indicators
from surveys.demo_episodes import months_before, seed_episodes
from surveys.models import EpisodeStatus, ResultSet, TemperatureUpdate, Wave
from tests.surveys.test_demo_observation import seeded  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def test_five_published_a_month_apart_and_one_scheduled(seeded: Wave, client: Any) -> None:  # noqa: F811
    seed_groups_and_indicators(waves=[seeded])  # as seed_demo does before (the indicator)
    lines: list[str] = []
    seed_episodes(stdout_lines=lines)
    episodes = list(TemperatureUpdate.objects.filter(wave=seeded).order_by("number"))
    assert [e.status for e in episodes] == [EpisodeStatus.PUBLISHED] * 5 + [EpisodeStatus.SCHEDULED]
    today = timezone.localdate()
    cutoffs = [e.cutoff for e in episodes[:5]]
    assert cutoffs[-1] == today - timedelta(days=1)
    assert all(months_before(later, 1) == earlier for earlier, later in itertools.pairwise(cutoffs))
    for episode in episodes[:5]:
        assert [b["kind"] for b in episode.figures["blocks"]][:2] == ["overall", "channels"]
        assert len(episode.figures["blocks"]) == 3
        assert all(block["rows"] for block in episode.figures["blocks"]), episode.number
        assert episode.published_at.date() == episode.cutoff + timedelta(days=1)
        page = client.get(
            reverse("temperature-episode", args=["kundeserviceprisen", "2026", episode.number])
        )
        assert page.status_code == 200
    assert 0 < (episodes[5].publish_at.date() - today).days <= 7
    # The episodes' results never replaced what the results pages show.
    assert not ResultSet.objects.filter(becomes_current=False, is_current=True).exists()
    seed_episodes(stdout_lines=lines)  # safe to run again
    assert TemperatureUpdate.objects.count() == 6
