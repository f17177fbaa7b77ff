"""Staff read responses and mark one invalid with a reason (and undo it)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import Response
from tests.factories import CompanyFactory, UserFactory, WaveFactory, invite
from tests.surveys.api.test_panels_api import ANSWERS

pytestmark = pytest.mark.django_db


def test_list_read_invalidate_and_restore(
    client: Any, django_assert_max_num_queries: Any, django_capture_on_commit_callbacks: Any
) -> None:
    company = CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):  # the (eager) worker saves it
            APIClient().post(
                f"/api/v1/respond/{invite(wave)}/submit/", {"answers": ANSWERS}, format="json"
            )
    manager = UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        listing = client.get(f"/staff/waves/{wave.pk}/responses/?status=submitted")
    assert listing.context["page"].paginator.count == 3
    response = Response.objects.first()
    detail = client.get(f"/staff/responses/{response.pk}/")
    assert f"<td>{company.name}</td>" in detail.content.decode()

    empty = client.post(f"/staff/responses/{response.pk}/", {"action": "invalidate", "reason": ""})
    assert empty.status_code == 400
    client.post(
        f"/staff/responses/{response.pk}/", {"action": "invalidate", "reason": "Svarte likt på alt"}
    )
    response.refresh_from_db()
    assert (response.invalid_reason, response.invalidated_by) == ("Svarte likt på alt", manager)
    page = client.get(f"/staff/responses/{response.pk}/").content.decode()
    assert "Svarte likt på alt" in page
    assert (
        client.get(f"/staff/waves/{wave.pk}/responses/?invalid=1").context["page"].paginator.count
        == 1
    )

    client.post(f"/staff/responses/{response.pk}/", {"action": "restore"})
    response.refresh_from_db()
    assert response.invalid_reason == ""
    assert response.invalidated_at is None


def test_the_response_page_shows_answers_in_words_and_keeps_invalidating_secondary(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    CompanyFactory(slug="fjordbanken", name="Fjordbanken")
    wave = WaveFactory()
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post(
            f"/api/v1/respond/{invite(wave)}/submit/", {"answers": ANSWERS}, format="json"
        )
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    html = client.get(f"/staff/responses/{Response.objects.get().pk}/").content.decode()
    answers = html[html.index("<table") : html.index("</table>")]
    for shown in ("<td>Fjordbanken</td>", "<td>E-post</td>", "<td>Nei</td>", "<td>Ja</td>"):
        assert shown in answers
    for code in ("fjordbanken", ">email<", ">no<", ">yes<", ">chat<"):
        assert code not in html
    # Reading the answers comes first; marking invalid is a secondary action after them.
    assert html.index('name="reason"') > html.index("</table>")
    at = html.index('value="invalidate"')
    button = html[html.rindex("<button", 0, at) : html.index(">", at)]
    assert 'class="secondary"' in button
