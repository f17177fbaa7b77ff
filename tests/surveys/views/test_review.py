"""The QA pages: the queue oldest first (without one's own reports, filtered by wave), a report
with its points, attempts and history, approve, and return with a reason."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from kundeservice.roles import Role
from surveys.models import AssignmentStatus, Response, ResponseStatus
from tests.factories import (
    AssignmentFactory,
    ObserverFactory,
    UserFactory,
    submitted_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client: Any) -> Any:
    user = UserFactory(username="prosjektleder", roles=[Role.QA_REVIEWER])
    client.force_login(user)
    return user


def detail(assignment: Any) -> str:
    return f"/en/staff/review/{assignment.pk}/"


def test_queue_is_oldest_first_without_own_reports_and_filters_by_wave(
    client: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    older = submitted_report(AssignmentFactory(company__name="Eldst AS"))
    newer = submitted_report(AssignmentFactory(company__name="Nyest AS"))
    own = submitted_report(
        AssignmentFactory(observer=ObserverFactory(user=reviewer), company__name="Egen AS")
    )
    AssignmentFactory(company__name="Ikke levert AS")
    with django_assert_max_num_queries(10):
        page = client.get("/en/staff/review/")
    html = page.content.decode()
    assert "2 reports waiting, oldest first" in html
    assert html.index("Eldst AS") < html.index("Nyest AS")
    assert "Egen AS" not in html
    assert "Ikke levert AS" not in html

    only_newer = client.get(f"/en/staff/review/?wave={newer.wave_id}").content.decode()
    assert "Nyest AS" in only_newer
    assert "Eldst AS" not in only_newer
    assert client.get("/en/staff/review/?wave=999999").status_code == 404
    assert older.pk != own.pk


def test_report_shows_points_score_attempts_and_history(
    client: Any, reviewer: Any, django_assert_max_num_queries: Any
) -> None:
    assignment = submitted_report(polite="ok")
    with django_assert_max_num_queries(12):
        page = client.get(detail(assignment))
    html = page.content.decode()
    assert "How polite was the agent?" in html
    assert "Fairly" in html
    assert "2 / 4" in html  # 1 of 2 points × weight 2
    score = Response.objects.get(assignment=assignment).score
    assert f"{score:.1f}" in html
    assert "Answered" in html
    assert "Planned → In progress" in html
    assert "In progress → Submitted" in html


def test_approve(client: Any, reviewer: Any) -> None:
    assignment = submitted_report()
    response = client.post(detail(assignment), {"action": "approve"})
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.APPROVED
    assert Response.objects.get(assignment=assignment).status == ResponseStatus.APPROVED


def test_return_needs_a_reason_shown_next_to_the_field(client: Any, reviewer: Any) -> None:
    assignment = submitted_report()
    response = client.post(detail(assignment), {"action": "return", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html.split('id="id_reason_error"')[1].split("</ul>")[0]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_return_tells_the_observer(
    client: Any, reviewer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assignment = submitted_report()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            detail(assignment),
            {"action": "return", "reason": "Svar på løsning mangler begrunnelse."},
        )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.RETURNED
    assert [m.to for m in mail.outbox] == [[assignment.observer.user.email]]
    assert "Svar på løsning mangler begrunnelse." in mail.outbox[0].body


def test_a_reviewer_reads_but_never_reviews_their_own_report(client: Any, reviewer: Any) -> None:
    reviewer.groups.add(Group.objects.get_or_create(name=Role.OBSERVER)[0])
    assignment = submitted_report(AssignmentFactory(observer=ObserverFactory(user=reviewer)))
    page = client.get(detail(assignment)).content.decode()
    assert "another reviewer must review it" in page
    assert 'value="approve"' not in page
    assert client.post(detail(assignment), {"action": "approve"}).status_code == 403
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.SUBMITTED


def test_panel_managers_do_not_review(client: Any) -> None:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    assert client.get("/en/staff/review/").status_code == 403


def test_the_dashboard_links_the_queue(client: Any, reviewer: Any) -> None:
    assert 'href="/en/staff/review/"' in client.get("/en/staff/").content.decode()
