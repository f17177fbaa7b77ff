"""Fieldwork: the waiting rules on each attempt, closing a contact as not answered, the evaluation
draft and its submit with the computed score."""

import copy
import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from kundeservice.errors import ConflictError, DomainError
from surveys.branching import NA
from surveys.models import (
    Answer,
    AssignmentStatus,
    ContactAttempt,
    ContactOutcome,
    ObservationSetup,
    Response,
    ResponseSource,
    ResponseStatus,
    ReviewEvent,
)
from surveys.services import fieldwork
from surveys.services.fieldwork import (
    IncompleteEvaluation,
    NotYourAssignment,
    attempt_record,
    evaluation_save,
    evaluation_submit,
)
from surveys.services.questionnaires import questionnaire_create
from tests.factories import (
    EVALUATION,
    EVALUATION_BEST,
    AssignmentFactory,
    ObserverFactory,
    in_week,
    observation_wave,
    record_answered,
)

pytestmark = pytest.mark.django_db
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def record(assignment: Any, started: datetime.datetime, result: str, **kwargs: Any) -> Any:
    return attempt_record(
        assignment=assignment,
        user=assignment.observer.user,
        started_at=started,
        result=result,
        **kwargs,
    )


def problems(exc: pytest.ExceptionInfo[DomainError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_two_phone_attempts_without_answer_close_the_contact_with_score_zero() -> None:
    assignment = AssignmentFactory(channel="phone")
    record(assignment, in_week(assignment, day=0, hour=10), "no_answer")
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert not Response.objects.exists()

    record(assignment, in_week(assignment, day=2, hour=13), "no_answer")

    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.outcome == ContactOutcome.NOT_ANSWERED
    report = Response.objects.get(assignment=assignment)
    assert report.source == ResponseSource.OBSERVER
    assert report.status == ResponseStatus.SUBMITTED
    assert (report.wave_id, report.company_id, report.channel) == (
        assignment.wave_id,
        assignment.company_id,
        "phone",
    )
    assert report.score == 0
    assert report.section_scores == {"availability": 0, "agent": 0, "needs": 0, "overall": 0}
    events = list(ReviewEvent.objects.values_list("from_status", "to_status", "actor"))
    user = assignment.observer.user.pk
    assert events == [("planned", "in_progress", user), ("in_progress", "submitted", user)]


def test_a_contact_never_answered_gets_no_score_in_areas_with_nothing_scored() -> None:
    spec = copy.deepcopy(EVALUATION)
    spec["slug"] = "evaluering-med-opplevelse"
    spec["sections"].append(
        {  # an area of unscored questions only: reported, never scored
            "key": "experience",
            "title": "Opplevelsen",
            "questions": [
                {"key": "mood", "type": "rating", "scale": [1, 5], "text": "Stemningen?"},
            ],
        }
    )
    spec["sections"].append(
        {  # scored, but only asked when the company sells something: hidden here
            "key": "sales",
            "title": "Salg",
            "relevant": {"q": "callback_offered", "in": ["yes"]},
            "questions": [
                {
                    "key": "offered_product",
                    "type": "yes_no",
                    "scored": True,
                    "text": "Ble du tilbudt et produkt?",
                    "options": [
                        {"value": "yes", "label": "Ja", "points": 1},
                        {"value": "no", "label": "Nei", "points": 0},
                    ],
                },
            ],
        }
    )
    wave = observation_wave(questionnaire=questionnaire_create(spec=spec))
    assignment = AssignmentFactory(wave=wave, channel="phone")
    record(assignment, in_week(assignment, day=0, hour=10), "no_answer")
    record(assignment, in_week(assignment, day=2, hour=13), "no_answer")
    report = Response.objects.get(assignment=assignment)
    assert report.score == 0
    assert report.section_scores == {"availability": 0, "agent": 0, "needs": 0, "overall": 0}


def test_second_phone_attempt_must_be_on_another_day_of_the_same_week() -> None:
    assignment = AssignmentFactory(channel="chat")
    record(assignment, in_week(assignment, day=1, hour=9, minute=30), "no_answer")
    with pytest.raises(DomainError) as same_day:
        record(assignment, in_week(assignment, day=1, hour=14), "no_answer")
    assert problems(same_day)["started_at"] == [
        "Make the second attempt on another day than the first (01/06/2026)."
    ]
    with pytest.raises(DomainError) as next_week:
        record(assignment, in_week(assignment, day=7, hour=10), "no_answer")
    assert "This contact is planned for week 1 of the wave" in problems(next_week)["started_at"][0]
    assert ContactAttempt.objects.count() == 1


def test_an_answer_within_the_limit_opens_a_draft_evaluation() -> None:
    assignment = AssignmentFactory(channel="phone")
    started = in_week(assignment, day=3, hour=11)
    attempt = record(assignment, started, "answered", answered_at=started + 4 * MINUTE)
    assert attempt.number == 1
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS
    assert assignment.outcome == ContactOutcome.ANSWERED
    report = Response.objects.get(assignment=assignment)
    assert report.status == ResponseStatus.DRAFT
    assert report.company_id == assignment.company_id
    assert report.channel == "phone"


def test_an_answer_after_the_limit_must_be_recorded_as_no_answer() -> None:
    assignment = AssignmentFactory(channel="phone")
    started = in_week(assignment, hour=10)
    with pytest.raises(DomainError) as late:
        record(assignment, started, "answered", answered_at=started + 6 * MINUTE)
    assert problems(late) == {
        "answered_at": [
            "The answer came after the waiting limit (5 minutes): record this attempt as no answer."
        ]
    }
    assert not ContactAttempt.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PLANNED


def test_messenger_waits_thirty_minutes() -> None:
    assignment = AssignmentFactory(channel="social")
    started = in_week(assignment, hour=10)
    record(assignment, started, "answered", answered_at=started + 29 * MINUTE)
    assert Response.objects.filter(assignment=assignment).exists()


def test_email_waits_three_working_days_and_an_auto_reply_is_no_answer() -> None:
    late = AssignmentFactory(channel="email")
    friday = in_week(late, day=4, hour=10)
    # Friday 10:00 to Thursday 11:00: Mon, Tue, Wed and a bit are more than 3 working days.
    with pytest.raises(DomainError) as refused:
        record(late, friday, "answered", answered_at=friday + datetime.timedelta(days=6, hours=1))
    assert "3 working days" in problems(refused)["answered_at"][0]
    # The weekend does not count: Friday 10:00 to Wednesday 09:00 is inside the limit.
    record(late, friday, "answered", answered_at=friday + datetime.timedelta(days=4, hours=23))
    assert Response.objects.filter(assignment=late).exists()

    auto = AssignmentFactory(channel="email")
    record(auto, in_week(auto, day=0), "auto_reply")
    record(auto, in_week(auto, day=1), "auto_reply")
    auto.refresh_from_db()
    assert auto.outcome == ContactOutcome.NOT_ANSWERED
    assert Response.objects.get(assignment=auto).score == 0


def test_no_answer_only_once_the_waiting_limit_has_passed(monkeypatch: Any) -> None:
    assignment = AssignmentFactory(channel="email")
    sent = in_week(assignment, day=3, hour=10)
    monkeypatch.setattr(fieldwork.timezone, "now", lambda: sent + datetime.timedelta(days=1))
    with pytest.raises(DomainError) as early:
        record(assignment, sent, "no_answer")
    assert problems(early) == {
        "result": ["Wait the full waiting limit (3 working days) before recording no answer."]
    }
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize(
    ("day", "hour", "message"),
    [
        (5, 10, "Contacts are made on weekdays between 09:00 and 15:00."),
        (1, 8, "Contacts are made on weekdays between 09:00 and 15:00."),
        (1, 16, "Contacts are made on weekdays between 09:00 and 15:00."),
        (
            -3,
            10,
            "This contact is planned for week 1 of the wave (calendar week 2), "
            "01/05/2026 to 01/11/2026.",
        ),
    ],
)
def test_contacts_are_made_in_the_planned_week_on_weekdays_in_the_window(
    day: int, hour: int, message: str
) -> None:
    assignment = AssignmentFactory()
    with pytest.raises(DomainError) as refused:
        record(assignment, in_week(assignment, day=day, hour=hour), "no_answer")
    assert problems(refused) == {"started_at": [message]}
    assert not ContactAttempt.objects.exists()


def test_the_window_comes_from_the_wave_setup() -> None:
    assignment = AssignmentFactory()
    ObservationSetup.objects.filter(wave=assignment.wave).update(
        window_start=datetime.time(12, 0), window_end=datetime.time(18, 0)
    )
    record(assignment, in_week(assignment, hour=17), "no_answer")
    assert ContactAttempt.objects.count() == 1


def test_a_contact_cannot_be_recorded_in_the_future() -> None:
    assignment = AssignmentFactory()
    with pytest.raises(DomainError) as future:
        record(assignment, timezone.now() + datetime.timedelta(hours=3), "no_answer")
    assert problems(future) == {"started_at": ["The contact cannot start in the future."]}


def test_answered_needs_the_answer_time() -> None:
    assignment = AssignmentFactory()
    with pytest.raises(DomainError) as missing:
        record(assignment, in_week(assignment), "answered")
    assert problems(missing) == {"answered_at": ["Give the time you were answered."]}


def test_only_the_assignments_own_observer_records_attempts() -> None:
    assignment = AssignmentFactory()
    stranger = ObserverFactory().user
    with pytest.raises(NotYourAssignment):
        attempt_record(
            assignment=assignment,
            user=stranger,
            started_at=in_week(assignment),
            result="no_answer",
        )
    assert not ContactAttempt.objects.exists()


def test_a_closed_contact_takes_no_more_attempts() -> None:
    assignment = AssignmentFactory()
    record_answered(assignment)
    with pytest.raises(ConflictError, match="already closed"):
        record(assignment, in_week(assignment, day=2), "no_answer")
    assert ContactAttempt.objects.count() == 1


def test_autosave_keeps_valid_answers_and_reports_the_rest() -> None:
    assignment = AssignmentFactory()
    record_answered(assignment)
    draft = evaluation_save(
        assignment=assignment,
        user=assignment.observer.user,
        answers={"greeting": ["yes"], "polite": ["rude"], "csat": ["9"], "easy_to_reach": []},
    )
    assert draft.response.draft == {"greeting": "yes"}
    assert draft.errors == {
        "polite": "Choose one of the options shown.",
        "csat": "Choose a whole number from 1 to 5.",
    }
    with pytest.raises(IncompleteEvaluation) as strict:
        evaluation_save(
            assignment=assignment,
            user=assignment.observer.user,
            answers={"valued": "no", "nonsense": "x"},
            strict=True,
        )
    assert strict.value.errors == {"nonsense": "There is no such question."}
    assert Response.objects.get(assignment=assignment).draft == {"greeting": "yes"}


def test_submit_refuses_missing_answers_and_stores_nothing() -> None:
    assignment = AssignmentFactory()
    record_answered(assignment)
    with pytest.raises(IncompleteEvaluation) as incomplete:
        evaluation_submit(
            assignment=assignment, user=assignment.observer.user, answers={"greeting": "yes"}
        )
    assert set(incomplete.value.errors) == {
        "easy_to_reach",
        "polite",
        "understood",
        "solution",
        "callback_offered",
        "valued",
        "would_buy",
        "csat",
    }
    assert not Answer.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.IN_PROGRESS


def test_submit_scores_by_points_weights_na_and_waiting_time() -> None:
    assignment = AssignmentFactory(channel="phone")
    record_answered(assignment, waited_seconds=150)  # 2.5 of 5 minutes: wait score 50
    report = evaluation_submit(
        assignment=assignment,
        user=assignment.observer.user,
        answers={
            **EVALUATION_BEST,
            "easy_to_reach": "some_effort",  # 1 of 2
            "polite": "ok",  # 1 of 2, weight 2
            "understood": "no",  # 0 of 1
            "solution": "partial",  # 1 of 2, weight 2
            "would_buy": NA,  # out of both earned and possible
            "csat": 1,  # a CX item: stored, never counted
        },
    )
    # Areas: availability 1/2 = 50; agent (1 + 2)/(1 + 4) = 60; needs (0 + 2)/(1 + 4) = 40;
    # overall 1/1 = 100. Area weights 1, 2, 2, 1: (50 + 120 + 80 + 100)/6 = 58.33…
    # Total: 0.95 × 58.33… + 0.05 × 50.
    assert report.section_scores == pytest.approx(
        {"availability": 50.0, "agent": 60.0, "needs": 40.0, "overall": 100.0}
    )
    assert report.score == pytest.approx(0.95 * 350 / 6 + 0.05 * 50)
    assert report.status == ResponseStatus.SUBMITTED
    assert report.submitted_at is not None
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    answers = {a.question.key: a for a in Answer.objects.select_related("question")}
    assert len(answers) == 9
    assert answers["would_buy"].is_na
    assert answers["csat"].value_number == 1
    assert {a.company_id for a in answers.values()} == {assignment.company_id}
    assert {a.channel for a in answers.values()} == {"phone"}


def test_the_wave_sets_how_much_waiting_time_counts() -> None:
    assignment = AssignmentFactory(channel="phone")
    ObservationSetup.objects.filter(wave=assignment.wave).update(wait_time_share=0.2)
    record_answered(assignment, waited_seconds=240)  # 4 of 5 minutes: wait score 20
    report = evaluation_submit(
        assignment=assignment, user=assignment.observer.user, answers=EVALUATION_BEST
    )
    assert report.score == pytest.approx(0.8 * 100 + 0.2 * 20)


def test_a_double_submit_makes_one_report() -> None:
    assignment = AssignmentFactory()
    record_answered(assignment)
    first = evaluation_submit(
        assignment=assignment, user=assignment.observer.user, answers=EVALUATION_BEST
    )
    again = evaluation_submit(
        assignment=assignment,
        user=assignment.observer.user,
        answers={**EVALUATION_BEST, "valued": "no"},
    )
    assert again.pk == first.pk
    assert again.score == first.score
    assert Answer.objects.count() == 9
    assert ReviewEvent.objects.filter(to_status=AssignmentStatus.SUBMITTED).count() == 1
    with pytest.raises(ConflictError, match="handed in"):
        evaluation_save(
            assignment=assignment, user=assignment.observer.user, answers={"valued": "no"}
        )


def test_the_evaluation_waits_for_an_answered_attempt() -> None:
    assignment = AssignmentFactory()
    with pytest.raises(ConflictError, match="answered attempt"):
        evaluation_save(
            assignment=assignment, user=assignment.observer.user, answers={"valued": "no"}
        )


def test_stored_scores_of_contacts_never_answered_are_corrected_by_the_migration() -> None:
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "surveys.migrations.0003_unanswered_contacts_score_only_scored_areas"
    )
    spec = copy.deepcopy(EVALUATION)
    spec["slug"] = "evaluering-gammel"
    spec["sections"].append(
        {
            "key": "experience",
            "title": "Opplevelsen",
            "questions": [{"key": "mood", "type": "rating", "scale": [1, 5], "text": "Stemning?"}],
        }
    )
    wave = observation_wave(questionnaire=questionnaire_create(spec=spec))
    assignment = AssignmentFactory(wave=wave, channel="phone")
    record(assignment, in_week(assignment, day=0, hour=10), "no_answer")
    record(assignment, in_week(assignment, day=2, hour=13), "no_answer")
    stale = {"availability": 0, "agent": 0, "needs": 0, "overall": 0, "experience": 0}
    Response.objects.filter(assignment=assignment).update(section_scores=stale)  # as stored before
    migration.forwards(apps, None)
    report = Response.objects.get(assignment=assignment)
    assert report.section_scores == {"availability": 0, "agent": 0, "needs": 0, "overall": 0}
