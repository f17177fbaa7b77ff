"""Calibration exercises: creating one, observers scoring it once, and the agreement report."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from kundeservice.errors import ConflictError, DomainError
from surveys.branching import NA
from surveys.models import CalibrationExercise, CalibrationRating
from surveys.services.calibration import (
    NotInvited,
    calibration_create,
    calibration_rate,
    calibration_report,
)
from surveys.services.fieldwork import IncompleteEvaluation
from tests.factories import (
    EVALUATION_BEST,
    ObserverFactory,
    calibration_exercise,
    evaluation_questionnaire,
    ksindeks_questionnaire,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_english(settings: Any, tmp_path: Any) -> Any:
    """Uploads go to a temporary folder; messages are asserted in English (the source)."""
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


def test_creating_an_exercise_reports_every_problem_and_stores_nothing() -> None:
    with pytest.raises(DomainError) as caught:
        calibration_create(
            title=" ",
            questionnaire=ksindeks_questionnaire(),
            observers=[ObserverFactory()],
            recording=SimpleUploadedFile("samtale.exe", b"MZ"),
        )
    errors = caught.value.message_dict
    assert set(errors) == {"title", "questionnaire", "observers", "recording"}
    assert errors["observers"] == ["Invite at least two observers: agreement needs more than one."]
    assert not CalibrationExercise.objects.exists()


def test_a_dialogue_must_be_attached() -> None:
    with pytest.raises(DomainError) as caught:
        calibration_create(
            title="Uten dialog",
            questionnaire=evaluation_questionnaire(),
            observers=ObserverFactory.create_batch(2),
        )
    assert caught.value.message_dict == {
        "transcript": ["Attach the dialogue: paste a transcript or upload a recording."]
    }


def test_an_exercise_with_a_recording() -> None:
    exercise = calibration_create(
        title="Opptak",
        questionnaire=evaluation_questionnaire(),
        observers=ObserverFactory.create_batch(3),
        recording=SimpleUploadedFile("samtale.mp3", b"ID3-lyd", content_type="audio/mpeg"),
    )
    assert exercise.recording.name.startswith("calibration/samtale")
    assert exercise.recording.read() == b"ID3-lyd"
    assert exercise.observers.count() == 3


def test_an_observer_scores_once_with_the_portals_scoring() -> None:
    exercise = calibration_exercise()
    observer = exercise.observers.first()
    answers = {
        **EVALUATION_BEST,
        "easy_to_reach": "some_effort",  # availability 1/2 = 50
        "polite": "ok",  # agent (1 + 1×2) / (1 + 2×2) = 60
        "understood": "no",  # needs (0 + 1×2) / (1 + 2×2) = 40
        "solution": "partial",
        "would_buy": NA,  # overall: valued 1/1 = 100, N/A left out
    }
    rating = calibration_rate(exercise=exercise, observer=observer, answers=answers)
    # Area weights 1, 2, 2, 1: (50 + 2×60 + 2×40 + 100) / 6; the callback question has no points.
    assert rating.score == pytest.approx(350 / 6)
    assert rating.answers["would_buy"] == NA
    with pytest.raises(ConflictError):
        calibration_rate(exercise=exercise, observer=observer, answers=EVALUATION_BEST)
    assert CalibrationRating.objects.count() == 1


def test_bad_or_missing_answers_are_named_and_nothing_is_stored() -> None:
    exercise = calibration_exercise()
    observer = exercise.observers.first()
    with pytest.raises(IncompleteEvaluation) as caught:
        calibration_rate(
            exercise=exercise,
            observer=observer,
            answers={**EVALUATION_BEST, "greeting": "kanskje", "valued": None, "csat": "9"},
        )
    assert caught.value.errors == {
        "greeting": "Choose one of the options shown.",
        "valued": "This question needs an answer.",
        "csat": "Choose a whole number from 1 to 5.",
    }
    assert not CalibrationRating.objects.exists()


def test_only_invited_observers_score() -> None:
    exercise = calibration_exercise()
    with pytest.raises(NotInvited):
        calibration_rate(exercise=exercise, observer=ObserverFactory(), answers=EVALUATION_BEST)


def test_the_report_gives_agreement_kappa_and_drift() -> None:
    exercise = calibration_exercise(observers=4)
    observers = list(exercise.observers.order_by("pk"))
    variations: list[dict[str, Any]] = [
        {},
        {},
        {"polite": "ok", "would_buy": NA},
        {"polite": "not", "valued": "no", "greeting": "no", "would_buy": "no"},
    ]
    for observer, change in zip(observers[:3], variations, strict=False):
        calibration_rate(
            exercise=exercise, observer=observer, answers={**EVALUATION_BEST, **change}
        )
    report = calibration_report(exercise=exercise)
    assert [o.pk for o in report.pending] == [observers[3].pk]
    rows = {row.view.key: row for row in report.questions}
    assert "comment" not in rows  # free text has no categories to agree on
    assert rows["greeting"].agreement.percent == 100
    assert rows["polite"].agreement.percent == pytest.approx(100 / 3)
    assert rows["polite"].modal == "Very"
    assert [(a.label, a.count) for a in rows["would_buy"].answers] == [
        ("Yes", 2),
        ("Not applicable", 1),
    ]
    subjects = [[str(r.answers[key]) for r in report.ratings] for key in rows]
    table, _ = aggregate_raters(subjects)
    assert report.kappa.value == pytest.approx(fleiss_kappa(table, method="fleiss"))
    drift = {row.observer.pk: row.drift for row in report.drift}
    assert drift[observers[0].pk].score == 100
    assert drift[observers[2].pk].difference < 0
    assert drift[observers[2].pk].rates["na"] == pytest.approx(100 / 5)  # 1 of 5 yes/no items
