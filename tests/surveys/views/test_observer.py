"""The observer portal: this week and next, returned reports, recording attempts with errors next
to the fields, the autosaved evaluation and its submit; only one's own assignments; query
budgets."""

import datetime
from typing import Any

import pytest
from django.utils import timezone

from kundeservice.roles import Role
from surveys.models import AssignmentStatus, ContactAttempt, Response, ResponseStatus
from surveys.services.review import report_return
from tests.factories import (
    EVALUATION_BEST,
    AssignmentFactory,
    ObserverFactory,
    UserFactory,
    monday_of,
    observation_wave,
    record_answered,
    submitted_report,
)

pytestmark = pytest.mark.django_db


def url(assignment: Any) -> str:
    return f"/en/observer/assignments/{assignment.pk}/"


@pytest.fixture
def observer(client: Any) -> Any:
    observer = ObserverFactory(user__username="kari")
    client.force_login(observer.user)
    return observer


def test_home_lists_this_week_next_week_and_returned_reports(
    client: Any, observer: Any, django_assert_max_num_queries: Any
) -> None:
    wave = observation_wave(starts_on=monday_of(timezone.localdate()) - datetime.timedelta(weeks=1))
    # The wave's week 2 is this week.
    AssignmentFactory(wave=wave, observer=observer, week=1, company__name="Forsinket AS")
    AssignmentFactory(
        wave=wave, observer=observer, week=2, company__name="Denne Uka AS", scenario="Flytting"
    )
    AssignmentFactory(wave=wave, observer=observer, week=3, company__name="Neste Uke AS")
    AssignmentFactory(wave=wave, observer=observer, week=4, company__name="Senere AS")
    AssignmentFactory(wave=wave, week=2, company__name="Noen Andres AS")
    returned = submitted_report(AssignmentFactory(observer=observer, company__name="Retur AS"))
    report_return(
        assignment=returned, reviewer=UserFactory(roles=[Role.QA_REVIEWER]), reason="Sjekk løsning"
    )

    with django_assert_max_num_queries(10):
        page = client.get("/en/observer/")
    html = page.content.decode()
    sections = {
        title: html.split(f'id="{key}-title">{title}</h2>')[1].split("</section>")[0]
        for key, title in [
            ("returned", "Returned: needs a fix"),
            ("earlier", "Still open from earlier weeks"),
            ("this-week", "This week"),
            ("next-week", "Next week"),
        ]
    }
    assert "Retur AS" in sections["Returned: needs a fix"]
    assert "Sjekk løsning" in sections["Returned: needs a fix"]
    assert "Forsinket AS" in sections["Still open from earlier weeks"]
    assert "Denne Uka AS" in sections["This week"]
    assert "Flytting" in sections["This week"]
    assert "Neste Uke AS" in sections["Next week"]
    assert "Senere AS" not in html
    assert "Noen Andres AS" not in html


def test_home_lists_calibration_dialogues_still_to_score(client: Any, observer: Any) -> None:
    from surveys.models import CalibrationRating
    from tests.factories import calibration_exercise

    waiting = calibration_exercise(title="Oppsigelse", observers=2)
    waiting.observers.add(observer)
    done = calibration_exercise(title="Allerede vurdert", observers=2)
    done.observers.add(observer)
    CalibrationRating.objects.create(exercise=done, observer=observer, answers={})
    calibration_exercise(title="Ikke invitert", observers=2)

    html = client.get("/en/observer/").content.decode()
    assert "Calibration: dialogues to score" in html
    assert f'href="/en/observer/calibration/{waiting.pk}/"' in html
    assert "Allerede vurdert" not in html
    assert "Ikke invitert" not in html


def test_a_user_with_the_role_but_no_profile_is_told_so(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.OBSERVER]))
    page = client.get("/en/observer/")
    assert page.status_code == 200
    assert "You have no observer profile yet." in page.content.decode()


def test_the_portal_is_linked_for_observers(client: Any, observer: Any) -> None:
    assert 'href="/en/observer/"' in client.get("/en/").content.decode()


def test_another_observers_assignment_is_not_found(client: Any, observer: Any) -> None:
    theirs = AssignmentFactory()
    assert client.get(url(theirs)).status_code == 404
    response = client.post(
        url(theirs),
        {"action": "attempt", "started_at": "2026-01-05T10:00", "result": "no_answer"},
    )
    assert response.status_code == 404
    assert not ContactAttempt.objects.exists()


def test_assignment_page_shows_the_brief_within_the_query_budget(
    client: Any, observer: Any, django_assert_max_num_queries: Any
) -> None:
    assignment = AssignmentFactory(observer=observer, channel="chat", scenario="Spør om flytting")
    with django_assert_max_num_queries(10):
        page = client.get(url(assignment))
    html = page.content.decode()
    assert "Spør om flytting" in html
    assert "Week 1 of the wave (calendar week 2): 01/05/2026 to 01/11/2026" in html
    assert "Weekdays 09:00–15:00" in html
    assert "5 minutes" in html
    assert "Record attempt 1" in html


def test_a_refused_attempt_shows_the_error_next_to_the_field(client: Any, observer: Any) -> None:
    assignment = AssignmentFactory(observer=observer)
    response = client.post(
        url(assignment),
        {
            "action": "attempt",
            "started_at": "2026-01-05T10:00",
            "result": "answered",
            "answered_at": "2026-01-05T10:07",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    next_to_field = html.split('id="id_answered_at_error">')[1].split("</ul>")[0]
    assert "record this attempt as no answer" in next_to_field
    assert 'aria-describedby="id_answered_at_helptext id_answered_at_error"' in html
    assert not ContactAttempt.objects.exists()


def test_record_no_answer_then_answered(client: Any, observer: Any) -> None:
    assignment = AssignmentFactory(observer=observer)
    first = client.post(
        url(assignment),
        {"action": "attempt", "started_at": "2026-01-05T10:00", "result": "no_answer"},
        follow=True,
    )
    assert "Make a second attempt on another day this week" in first.content.decode()
    second = client.post(
        url(assignment),
        {
            "action": "attempt",
            "started_at": "2026-01-06T11:00",
            "result": "answered",
            "answered_at": "2026-01-06T11:02",
        },
        follow=True,
    )
    html = second.content.decode()
    assert "Fill in the evaluation below." in html
    assert "Did you feel valued?" in html
    assert "Record attempt" not in html
    assert list(ContactAttempt.objects.values_list("number", "result")) == [
        (1, "no_answer"),
        (2, "answered"),
    ]


def test_autosave_submit_and_points_never_shown(
    client: Any, observer: Any, django_assert_max_num_queries: Any
) -> None:
    assignment = AssignmentFactory(observer=observer)
    record_answered(assignment)
    with django_assert_max_num_queries(10):
        page = client.get(url(assignment))
    assert "points" not in page.content.decode().lower()

    saved = client.post(
        url(assignment), {"action": "save", "valued": "yes", "csat": "7"}, HTTP_HX_REQUEST="true"
    )
    assert saved.status_code == 200
    html = saved.content.decode()
    assert "Your answers are saved." in html
    assert "Choose a whole number from 1 to 5." in html
    assert Response.objects.get().draft == {"valued": "yes"}

    incomplete = client.post(url(assignment), {"action": "submit", "valued": "yes"})
    assert incomplete.status_code == 400
    assert "Please check your answers" in incomplete.content.decode()
    assert Response.objects.get().status == ResponseStatus.DRAFT

    done = client.post(url(assignment), {"action": "submit", **EVALUATION_BEST})
    assert done.status_code == 302
    assert done["Location"] == "/en/observer/"
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    page = client.get(url(assignment)).content.decode()
    assert "Handed in: waiting for quality assurance." in page
    assert "Submit report" not in page


def test_a_returned_report_shows_the_reason_and_takes_a_resubmit(
    client: Any, observer: Any
) -> None:
    assignment = submitted_report(AssignmentFactory(observer=observer), valued="no")
    report_return(
        assignment=assignment,
        reviewer=UserFactory(roles=[Role.QA_REVIEWER]),
        reason="Du skrev at de var hyggelige.",
    )
    page = client.get(url(assignment)).content.decode()
    assert "Returned by quality assurance" in page
    assert "Du skrev at de var hyggelige." in page
    assert "Submit again" in page
    client.post(url(assignment), {"action": "submit", **EVALUATION_BEST})
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED
    assert assignment.return_reason == ""


def test_staff_admins_are_not_observers(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.STAFF_ADMIN]))
    assert client.get("/en/observer/").status_code == 403


def test_the_error_summary_names_each_question_and_links_to_it(client: Any, observer: Any) -> None:
    """Issue 17: not a dozen identical nameless "This question needs an answer." lines."""
    assignment = AssignmentFactory(observer=observer)
    record_answered(assignment)
    html = client.post(url(assignment), {"action": "submit", "valued": "yes"}).content.decode()
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert '<a href="#in-would_buy-1">Would you buy from this company' in summary
    assert "Did you feel valued?" not in summary  # answered
    links = summary.count("<a href=")
    assert links == summary.count("This question needs an answer.") > 1
    assert 'id="in-would_buy-1"' in html


def test_a_waves_week_is_told_apart_from_the_calendar_week(client: Any, observer: Any) -> None:
    """Week 16 of a wave that began on 17 August is calendar week 49: both are named."""
    wave = observation_wave(starts_on=datetime.date(2026, 8, 17), weeks=20)
    assignment = AssignmentFactory(wave=wave, observer=observer, week=16)
    html = client.get(f"/observer/assignments/{assignment.pk}/").content.decode()
    assert "Uke 16 av målingen (uke 49): 30.11.2026 til 06.12.2026" in html
    home = client.get("/observer/").content.decode()
    assert "Uke 16 av målingen (uke 49)" in home
    english = client.get(url(assignment)).content.decode()
    assert "Week 16 of the wave (calendar week 49): 11/30/2026 to 12/06/2026" in english

    submitted_report(assignment)
    client.force_login(UserFactory(roles=[Role.QA_REVIEWER]))
    review = client.get(f"/staff/review/{assignment.pk}/").content.decode()
    assert "uke 16 av målingen (uke 49)" in review
