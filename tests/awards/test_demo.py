"""seed_demo's award night: ready for a newcomer to run the reveal."""

import io

import pytest
from django.core.management import call_command

from awards.models import AwardEvent, CategoryKind, ConflictOfInterest, EventState, Placement

pytestmark = pytest.mark.django_db


def test_the_demo_night_has_45_categories_public_finalists_a_tie_and_a_jury(
    django_capture_on_commit_callbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    event = AwardEvent.objects.get(slug="kundeserviceprisen-2026")
    assert event.state == EventState.FINALISTS_PUBLIC
    assert event.finalists_public()
    categories = list(event.categories.all())
    assert len(categories) == 45
    rule = [c for c in categories if c.kind == CategoryKind.RULE]
    assert {c.wave.study.slug for c in rule} == {"ksindeks", "kundeserviceprisen"}
    assert sum(1 for c in rule if c.is_confirmed) >= 40
    assert not any(c.is_revealed for c in categories)
    assert Placement.objects.filter(category__event=event, statistically_tied=True).exists()
    jury = next(c for c in categories if c.kind == CategoryKind.JURY)
    assert jury.jury.count() == 5
    assert ConflictOfInterest.objects.filter(member__category=jury).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())  # again: nothing twice
    assert AwardEvent.objects.count() == 1
