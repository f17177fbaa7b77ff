"""seed_demo's Kundeserviceprisen wave: planned by the real planner, scored like the portal."""

import pytest
from django.db.models import Count

import kundeservice.demo
from kundeservice.roles import Role
from surveys.demo_observation import seed_observation_wave
from surveys.models import (
    Assignment,
    AssignmentStatus,
    CalibrationExercise,
    ContactOutcome,
    Observer,
    Response,
    ResponseStatus,
    ReviewEvent,
    Wave,
)
from surveys.selectors import questionnaire_structure
from surveys.services.fieldwork import _score
from surveys.weeks import current_week
from tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> Wave:
    kundeservice.demo.seed(stdout_lines=[])
    for n in range(60):
        # Every sixth is a public office: no e-mail, self-service, nothing to buy.
        channels = (
            ["phone", "chat", "email", "social"] if n % 6 else ["phone", "chat", "self_service"]
        )
        CompanyFactory(channels=channels)
    lines: list[str] = []
    seed_observation_wave(stdout_lines=lines)
    assert "Kundeserviceprisen 2026: 60 companies, 40 observers, 1500 contacts planned" in lines[0]
    return Wave.objects.get(study__slug="kundeserviceprisen", slug="2026")


def test_the_wave_is_planned_and_mostly_reviewed(seeded: Wave) -> None:
    wave = seeded
    assert Observer.objects.count() == 40
    assert Observer.objects.filter(conflicts__isnull=False).distinct().count() >= 5
    contacts = Assignment.objects.filter(wave=wave)
    assert contacts.count() == 1500
    assert set(contacts.values_list("channel", flat=True)) == {"phone", "chat", "email", "social"}
    for observer in Observer.objects.prefetch_related("conflicts"):
        assert not contacts.filter(observer=observer, company__in=observer.conflicts.all()).exists()
    statuses = dict(contacts.values_list("status").annotate(n=Count("id")))
    made = 1500 - statuses[AssignmentStatus.PLANNED]
    assert made > 1350
    assert statuses[AssignmentStatus.APPROVED] > 0.85 * made
    assert statuses[AssignmentStatus.SUBMITTED] > 0
    assert statuses[AssignmentStatus.RETURNED] == 2
    not_answered = contacts.filter(outcome=ContactOutcome.NOT_ANSWERED)
    assert 10 <= not_answered.count() <= 60
    assert set(
        Response.objects.filter(assignment__in=not_answered).values_list("score", flat=True)
    ) == {0.0}
    # Every transition is logged, with QA as the reviewer.
    approved = contacts.filter(status=AssignmentStatus.APPROVED).first()
    assert list(approved.events.values_list("to_status", "actor__username")) == [
        ("in_progress", approved.observer.user.username),
        ("submitted", approved.observer.user.username),
        ("approved", Role.QA_REVIEWER.value),
    ]
    # The demo observer has contacts to make this week.
    week = current_week(starts_on=wave.starts_on)
    assert contacts.filter(observer__user__username="observer", week=week).exists()
    assert ReviewEvent.objects.filter(assignment__wave=wave).count() > 3 * 1350
    # A calibration exercise the demo observer is invited to and has yet to score.
    exercise = CalibrationExercise.objects.get()
    assert exercise.ratings.count() == 5
    assert exercise.observers.filter(user__username="observer").exists()


def test_scores_are_what_the_portal_computes(seeded: Wave) -> None:
    structure = questionnaire_structure(questionnaire=seeded.questionnaire)
    answered = (
        Response.objects.filter(wave=seeded, assignment__outcome=ContactOutcome.ANSWERED)
        .select_related("assignment")
        .order_by("pk")
    )
    for response in answered[::97]:
        expected = _score(structure, response.draft, response.assignment)
        assert response.score == pytest.approx(expected.total)
        assert response.section_scores == pytest.approx(expected.sections)
    assert answered.filter(status=ResponseStatus.APPROVED).count() > 1000
    assert answered.filter(draft__would_buy="__na__").exists()


def test_seeding_again_adds_nothing(seeded: Wave) -> None:
    lines: list[str] = []
    seed_observation_wave(stdout_lines=lines)
    assert lines == ["  Kundeserviceprisen 2026: already there"]
    assert Assignment.objects.count() == 1500
