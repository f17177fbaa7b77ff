"""On a phone: an observer records a no-answer and a second, answered attempt, fills and submits
the evaluation; QA returns it with a reason; the observer fixes and resubmits; QA approves and the
contact counts. axe checks every page on the way."""

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kundeservice.roles import Role
from surveys.models import AssignmentStatus, Response, ResponseStatus, ReviewEvent
from tests.e2e.conftest import PHONE, assert_accessible, assert_fits_width, wait_for_path
from tests.factories import (
    TEST_PASSWORD,
    AssignmentFactory,
    ObserverFactory,
    UserFactory,
    monday_of,
    observation_wave,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def qa_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="nb-NO")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page: Any, base: str, path: str, username: str) -> None:
    page.goto(base + path)
    assert "/en/account/login/" in page.url
    assert_accessible(page)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_for_path(page, path)


def check(page: Any, question: str, answer: str) -> None:
    """Choose an answer and wait until the autosave has stored it."""
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_role("group", name=question).get_by_label(answer, exact=True).check()


def checked_page(page: Any) -> None:
    assert_fits_width(page)
    assert_accessible(page)


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_observer_and_qa_take_a_contact_from_no_answer_to_approved(
    live_server: Any, page: Any, qa_page: Any
) -> None:
    # The wave started last week, so its week 1 lies wholly in the past.
    last_monday = monday_of(timezone.localdate()) - datetime.timedelta(weeks=1)
    wave = observation_wave(starts_on=last_monday)
    observer = ObserverFactory(user__username="observator")
    assignment = AssignmentFactory(
        wave=wave,
        observer=observer,
        week=1,
        channel="phone",
        company__name="Fjordkraft Test AS",
        scenario="Spør hva det koster å flytte strømavtalen.",
    )
    UserFactory(username="prosjektleder", roles=[Role.QA_REVIEWER])
    base = live_server.url
    day = last_monday.isoformat()
    tuesday = (last_monday + datetime.timedelta(days=1)).isoformat()

    # The observer logs in and finds the contact on their list.
    log_in(page, base, "/en/observer/", "observator")
    assert page.get_by_role("heading", name="Still open from earlier weeks").is_visible()
    checked_page(page)
    page.get_by_role("link", name="Fjordkraft Test AS · Phone").click()
    wait_for_path(page, f"/en/observer/assignments/{assignment.pk}/")
    assert page.get_by_text("Spør hva det koster å flytte strømavtalen.").is_visible()
    checked_page(page)

    # First attempt: nobody answers within five minutes.
    page.get_by_label("Contacted at").fill(f"{day}T10:00")
    page.get_by_label("No answer within the waiting limit").check()
    page.get_by_role("button", name="Record attempt").click()
    page.get_by_text("Make a second attempt on another day this week").wait_for()
    checked_page(page)

    # A second attempt on the same day is refused, with the reason next to the field.
    page.get_by_label("Contacted at").fill(f"{day}T14:00")
    page.get_by_label("Answered", exact=True).check()
    page.get_by_label("Answered at").fill(f"{day}T14:02")
    page.get_by_role("button", name="Record attempt").click()
    page.locator("#id_started_at_error").get_by_text("another day than the first").wait_for()
    checked_page(page)

    # The next day they get through in two minutes.
    page.get_by_label("Contacted at").fill(f"{tuesday}T11:00")
    page.get_by_label("Answered", exact=True).check()
    page.get_by_label("Answered at").fill(f"{tuesday}T11:02")
    page.get_by_role("button", name="Record attempt").click()
    page.get_by_role("heading", name="Evaluation").wait_for()
    checked_page(page)

    check(page, "How easy was it to get through?", "Easy")
    check(page, "Did the agent introduce themselves?", "Yes")
    check(page, "How polite was the agent?", "Very")
    check(page, "Did the agent understand what you needed?", "Yes")
    check(page, "Did you get a solution?", "Partly")
    check(page, "Were you offered a callback?", "No")
    check(page, "Did you feel valued?", "No")
    check(page, "Would you buy from this company", "Not applicable")
    page.get_by_role("status").filter(has_text="Your answers are saved.").wait_for()
    page.reload()  # what was chosen is kept
    assert page.get_by_role("group", name="Did you feel valued?").get_by_label("No").is_checked()
    checked_page(page)
    page.get_by_role("button", name="Submit report").click()
    page.get_by_role("alert").filter(has_text="Please check your answers").wait_for()
    # Issue 17: the summary names the question, takes the focus, and its link leads to the input.
    expect(page.locator("#error-summary")).to_be_focused()
    page.locator("#error-summary").get_by_role("link", name="How satisfied were you").click()
    assert page.evaluate("document.activeElement.name") == "csat"
    checked_page(page)  # the CX question was left out
    page.get_by_role("group", name="How satisfied were you").get_by_label("4").check()
    page.get_by_role("button", name="Submit report").click()
    wait_for_path(page, "/en/observer/")
    assert page.get_by_text("Your report is handed in to quality assurance.").is_visible()
    checked_page(page)

    # QA reads the report and returns it with a reason.
    log_in(qa_page, base, "/en/staff/review/", "prosjektleder")
    checked_page(qa_page)
    qa_page.get_by_role("link", name="Fjordkraft Test AS").click()
    qa_page.get_by_role("heading", name="Fjordkraft Test AS · Phone").wait_for()
    assert qa_page.get_by_role("cell", name="1 / 1").first.is_visible()  # QA sees points
    checked_page(qa_page)
    qa_page.get_by_role("button", name="Return to the observer").click()
    qa_page.locator("#id_reason_error").wait_for()  # a reason is required
    checked_page(qa_page)
    qa_page.get_by_label("What must the observer fix?").fill(
        "Du svarte nei på «verdsatt», men skriver at samtalen var hyggelig. Sjekk svaret."
    )
    qa_page.get_by_role("button", name="Return to the observer").click()
    wait_for_path(qa_page, "/en/staff/review/")
    assert qa_page.get_by_text("No reports are waiting.").is_visible()
    checked_page(qa_page)

    # The observer sees why, fixes the answer and submits again.
    page.goto(base + "/en/observer/")
    returned = page.get_by_role("region", name="Returned: needs a fix")
    assert "Sjekk svaret." in returned.inner_text()
    checked_page(page)
    returned.get_by_role("link", name="Fjordkraft Test AS · Phone").click()
    assert page.get_by_role("region", name="Returned by quality assurance").is_visible()
    checked_page(page)
    check(page, "Did you feel valued?", "Yes")
    page.get_by_role("button", name="Submit again").click()
    wait_for_path(page, "/en/observer/")

    # QA approves; the contact now counts with its computed score.
    qa_page.reload()
    qa_page.get_by_role("link", name="Fjordkraft Test AS").click()
    qa_page.get_by_role("heading", name="Fjordkraft Test AS · Phone").wait_for()
    checked_page(qa_page)
    qa_page.get_by_role("button", name="Approve").click()
    wait_for_path(qa_page, "/en/staff/review/")
    assert qa_page.get_by_text("Report approved: the contact now counts.").is_visible()
    checked_page(qa_page)

    report = Response.objects.get(assignment=assignment)
    assert report.status == ResponseStatus.APPROVED
    # Areas: availability 100; agent 100; needs (1 + 2)/(1 + 4) = 60; overall 1/1 (N/A out).
    # Weights 1, 2, 2, 1 → 520/6; waited 2 of 5 minutes → wait score 60, counting 5 %.
    assert report.score == pytest.approx(0.95 * 520 / 6 + 0.05 * 60)
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert list(ReviewEvent.objects.values_list("to_status", flat=True)) == [
        "in_progress",
        "submitted",
        "returned",
        "submitted",
        "approved",
    ]
