"""Staff pages of the observer programme: observers, the distribution key and planner run, the
plan grid with single moves, and calibration (staff report and observer scoring)."""

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.models import (
    Assignment,
    AssignmentStatus,
    CalibrationRating,
    ObservationSetup,
    Observer,
    Wave,
)
from surveys.services.assignments import assignments_plan
from tests.factories import (
    EVALUATION_BEST,
    CompanyFactory,
    ObserverFactory,
    UserFactory,
    calibration_exercise,
    evaluation_questionnaire,
    observation_wave,
)

pytestmark = pytest.mark.django_db

SHARES = {"share_phone": "50", "share_chat": "25", "share_email": "25"}


@pytest.fixture
def staff(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def setup_form(wave: Wave, **changes: Any) -> dict[str, Any]:
    data = {
        "action": "save",
        "companies": [c.pk for c in CompanyFactory.create_batch(2)],
        "contacts_per_company": "4",
        "weeks": "2",
        "window_start": "09:00",
        "window_end": "15:00",
        "wait_time_share": "5",
        "max_per_observer_company": "2",
        "seed": "7",
        "scenario": "Spør om å flytte abonnementet.",
        **SHARES,
    }
    data.update(changes)
    return data


def planned_wave(companies: int = 2, observers: int = 4) -> Wave:
    """An observation wave over two weeks, four contacts per company, planned for real."""
    wave = observation_wave(weeks=2)
    setup = ObservationSetup.objects.get(wave=wave)
    setup.contacts_per_company = 4
    setup.channel_shares = {"phone": 0.5, "chat": 0.25, "email": 0.25}
    setup.save()
    setup.companies.set(CompanyFactory.create_batch(companies))
    ObserverFactory.create_batch(observers, weekly_capacity=20)
    assignments_plan(wave=wave)
    return wave


# Observers


def test_create_and_edit_an_observer_profile(staff: Any) -> None:
    user = UserFactory(roles=[Role.OBSERVER], first_name="Kari", last_name="Nordmann")
    customer_of = CompanyFactory()
    page = staff.get("/en/staff/observers/new/")
    assert user.username in page.content.decode()
    response = staff.post(
        "/en/staff/observers/new/",
        {
            "user": user.pk,
            "trained": "on",
            "active": "on",
            "weekly_capacity": "6",
            "channels": ["phone", "chat"],
            "conflicts": [customer_of.pk],
        },
    )
    assert response.status_code == 302
    observer = Observer.objects.get(user=user)
    assert (observer.trained, observer.weekly_capacity, observer.channels) == (
        True,
        6,
        ["phone", "chat"],
    )
    assert list(observer.conflicts.all()) == [customer_of]
    listing = staff.get("/en/staff/observers/").content.decode()
    assert "Kari Nordmann" in listing
    assert "Phone, Chat" in listing

    response = staff.post(
        f"/en/staff/observers/{observer.pk}/",
        {"weekly_capacity": "101", "channels": ["phone"], "trained": "on", "active": "on"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["weekly_capacity"] == [
        "Ensure this value is less than or equal to 100."
    ]
    observer.refresh_from_db()
    assert observer.weekly_capacity == 6


def test_only_users_with_the_observer_role_get_a_profile(staff: Any) -> None:
    editor = UserFactory(roles=[Role.EDITOR])
    response = staff.post("/en/staff/observers/new/", {"user": editor.pk, "weekly_capacity": "5"})
    assert response.status_code == 400
    assert "user" in response.context["form"].errors
    assert not Observer.objects.exists()


def test_a_new_conflict_warns_about_planned_contacts(staff: Any) -> None:
    wave = planned_wave()
    assignment = Assignment.objects.filter(wave=wave).first()
    observer = assignment.observer
    response = staff.post(
        f"/en/staff/observers/{observer.pk}/",
        {
            "trained": "on",
            "active": "on",
            "weekly_capacity": "20",
            "channels": observer.channels,
            "conflicts": [assignment.company_id],
        },
        follow=True,
    )
    broken = Assignment.objects.filter(observer=observer, company=assignment.company).count()
    assert f"{broken} planned contact" in response.content.decode()


# The distribution key and the planner


def test_the_distribution_key_form_explains_its_errors_and_saves_nothing(staff: Any) -> None:
    wave = observation_wave()
    response = staff.post(
        f"/en/staff/waves/{wave.pk}/observation/",
        setup_form(wave, share_phone="60", window_end="08:00", contacts_per_company="0"),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["window_end"] == ["The window must end after it starts."]
    assert form.errors["contacts_per_company"] == [
        "Ensure this value is greater than or equal to 1."
    ]
    assert form.non_field_errors() == [
        "The channel shares add up to 110 %; they must add up to 100 %."
    ]
    setup = ObservationSetup.objects.get(wave=wave)
    assert setup.contacts_per_company == 25
    assert not setup.companies.exists()


def test_save_the_key_plan_and_see_the_result(
    staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wave = observation_wave()
    ObserverFactory.create_batch(4, weekly_capacity=10)
    data = setup_form(wave)
    assert staff.post(f"/en/staff/waves/{wave.pk}/observation/", data).status_code == 302
    setup = ObservationSetup.objects.get(wave=wave)
    assert setup.channel_shares == {"phone": 0.5, "chat": 0.25, "email": 0.25}
    assert float(setup.wait_time_share) == 0.05
    assert setup.companies.count() == 2

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"/en/staff/waves/{wave.pk}/observation/", {"action": "plan"})
    assert response.status_code == 302
    assert Assignment.objects.filter(wave=wave).count() == 8
    page = staff.get(f"/en/staff/waves/{wave.pk}/observation/").content.decode()
    assert "8 contacts planned." in page
    assert f"/en/staff/waves/{wave.pk}/plan/" in page


def test_a_plan_that_cannot_be_made_lists_every_problem(
    staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wave = observation_wave()  # no companies, and no observers exist
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(f"/en/staff/waves/{wave.pk}/observation/", {"action": "plan"})
    job = Job.objects.get(kind="plan_assignments")
    assert job.status == JobStatus.FAILED
    page = staff.get(f"/en/staff/waves/{wave.pk}/observation/").content.decode()
    assert "The plan could not be made; nothing was changed." in page
    assert "<li>No companies take part in this wave.</li>" in page
    assert "<li>There are no active, trained observers.</li>" in page
    assert not Assignment.objects.exists()
    partial = staff.get(f"/en/staff/waves/{wave.pk}/observation/?job={job.pk}")
    assert "<li>No companies take part in this wave.</li>" in partial.content.decode()


# The plan grid


def test_the_grid_shows_weeks_totals_and_quotas(staff: Any) -> None:
    wave = planned_wave()
    page = staff.get(f"/en/staff/waves/{wave.pk}/plan/").content.decode()
    assert "8 contacts" in page
    company = Assignment.objects.filter(wave=wave).first().company
    assert company.name in page
    assert "Phone 2/2" in page
    assert "Chat 1/1" in page
    assert page.count("/move/") == 8
    chat_only = staff.get(f"/en/staff/waves/{wave.pk}/plan/?channel=chat").content.decode()
    assert chat_only.count("/move/") == 2
    assert "Phone 2/2" not in chat_only


def test_the_grid_costs_the_same_queries_whatever_its_size(staff: Any) -> None:
    small, large = planned_wave(companies=1), planned_wave(companies=12, observers=8)
    assert Assignment.objects.filter(wave=large).count() == 48
    counts = []
    for wave in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert staff.get(f"/en/staff/waves/{wave.pk}/plan/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 8


def test_move_refuses_a_conflicted_observer_and_an_uneven_week(staff: Any) -> None:
    wave = planned_wave()
    assignment = Assignment.objects.filter(wave=wave, week=1).first()
    customer = ObserverFactory(weekly_capacity=20)
    customer.conflicts.add(assignment.company)
    response = staff.post(
        f"/en/staff/assignments/{assignment.pk}/move/",
        {"observer": customer.pk, "week": 1},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["observer"] == [
        f"{customer} is a customer of {assignment.company} and must not test it."
    ]
    response = staff.post(
        f"/en/staff/assignments/{assignment.pk}/move/",
        {"observer": assignment.observer_id, "week": 2},
    )
    assert response.status_code == 400
    assert "would spread" in response.context["form"].errors["week"][0]
    unchanged = Assignment.objects.get(pk=assignment.pk)
    assert (unchanged.observer_id, unchanged.week) == (assignment.observer_id, 1)


def test_move_to_a_free_observer(staff: Any) -> None:
    wave = planned_wave()
    assignment = Assignment.objects.filter(wave=wave).first()
    free = ObserverFactory(weekly_capacity=20)
    form = staff.get(f"/en/staff/assignments/{assignment.pk}/move/").content.decode()
    assert str(free) in form
    response = staff.post(
        f"/en/staff/assignments/{assignment.pk}/move/",
        {"observer": free.pk, "week": assignment.week},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/plan/#company-{assignment.company_id}")
    assert Assignment.objects.get(pk=assignment.pk).observer == free


def test_a_started_contact_is_not_moved(staff: Any) -> None:
    wave = planned_wave()
    assignment = Assignment.objects.filter(wave=wave).first()
    Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.IN_PROGRESS)
    page = staff.get(f"/en/staff/assignments/{assignment.pk}/move/").content.decode()
    assert "can no longer be moved" in page
    response = staff.post(
        f"/en/staff/assignments/{assignment.pk}/move/",
        {"observer": assignment.observer_id, "week": assignment.week},
    )
    assert response.status_code == 409
    assert "Only contacts not yet started can be moved." in response.content.decode()


def test_observers_and_qa_do_not_plan(client: Any) -> None:
    wave = planned_wave()
    for role in (Role.OBSERVER, Role.QA_REVIEWER):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(f"/en/staff/waves/{wave.pk}/plan/").status_code == 403
        assert (
            client.post(f"/en/staff/waves/{wave.pk}/observation/", {"action": "plan"}).status_code
            == 403
        )
    assert not Job.objects.exists()


# Calibration


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_staff_create_an_exercise_with_a_recording(staff: Any, media: None) -> None:
    observers = ObserverFactory.create_batch(2)
    form = evaluation_questionnaire()
    response = staff.post(
        "/en/staff/calibration/",
        {
            "title": "Flytting av bredbånd",
            "questionnaire": form.pk,
            "observers": [o.pk for o in observers],
            "recording": SimpleUploadedFile("samtale.m4a", b"lyd", content_type="audio/mp4"),
        },
    )
    assert response.status_code == 302
    detail = staff.get(response["Location"]).content.decode()
    assert "Flytting av bredbånd" in detail
    assert "0 of 2 observers have scored it" in detail
    assert "<audio" in detail


def test_a_bad_exercise_is_explained(staff: Any) -> None:
    response = staff.post(
        "/en/staff/calibration/",
        {
            "title": "Bare én",
            "questionnaire": evaluation_questionnaire().pk,
            "observers": [ObserverFactory().pk],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["observers"] == ["Invite at least two observers: agreement needs more than one."]
    assert errors["transcript"] == [
        "Attach the dialogue: paste a transcript or upload a recording."
    ]


def test_observers_score_and_staff_read_the_report(client: Any) -> None:
    exercise = calibration_exercise(observers=3)
    first, second, third = exercise.observers.order_by("pk")
    url = f"/en/observer/calibration/{exercise.pk}/"
    client.force_login(first.user)
    page = client.get(url).content.decode()
    assert "Did you feel valued?" in page
    assert "points" not in page.lower()
    refreshed = client.post(url, {"action": "refresh", "valued": "yes"})
    assert refreshed.status_code == 200
    incomplete = client.post(url, {"action": "submit", "valued": "yes"})
    assert incomplete.status_code == 400
    assert "This question needs an answer." in incomplete.content.decode()
    assert client.post(url, {"action": "submit", **EVALUATION_BEST}).status_code == 302
    assert "You scored this dialogue" in client.get(url).content.decode()
    client.force_login(second.user)
    client.post(url, {"action": "submit", **EVALUATION_BEST, "valued": "no"})
    assert CalibrationRating.objects.filter(exercise=exercise).count() == 2

    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    with CaptureQueriesContext(connection) as queries:
        report = client.get(f"/en/staff/calibration/{exercise.pk}/").content.decode()
    assert len(queries) <= 15
    assert "Fleiss' kappa" in report
    assert "Not yet scored by:" in report
    assert str(third) in report
    assert '<svg viewBox="0 0 400' in report
    # "Not valued" halves Totalinntrykk (weight 1 of 6): 91.7 against 100.
    assert "+8.3" in report
    assert "-8.3" in report


def test_only_invited_observers_see_an_exercise_and_its_recording(client: Any, media: None) -> None:
    exercise = calibration_exercise(
        recording=SimpleUploadedFile("samtale.mp3", b"ID3", content_type="audio/mpeg")
    )
    stranger = ObserverFactory()
    client.force_login(stranger.user)
    assert client.get(f"/en/observer/calibration/{exercise.pk}/").status_code == 404
    assert client.get(f"/en/observer/calibration/{exercise.pk}/recording/").status_code == 404
    client.force_login(exercise.observers.first().user)
    recording = client.get(f"/en/observer/calibration/{exercise.pk}/recording/")
    assert recording.status_code == 200
    assert b"".join(recording.streaming_content) == b"ID3"
