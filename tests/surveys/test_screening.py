"""Screening out: the respondent API ends a survey exactly where the browser does.

In the browser, "Next" on the page holding a screening question answered "no" ends the survey:
nothing after that page is asked. The API takes the whole questionnaire at once and must reach
the same end with the same answers, whatever questions follow.
"""

import copy
from typing import Any

import pytest
from rest_framework.test import APIClient

from surveys.models import Answer, Invitation, InvitationStatus, Response, ResponseStatus, Wave
from surveys.services.questionnaires import questionnaire_create
from surveys.services.submissions import submissions_expand
from surveys.specs import KSINDEKS
from tests.factories import CompanyFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db

LATER = {"company": "fjordbanken", "channel": "phone", "satisfaction": 5}


@pytest.fixture
def wave() -> Wave:
    CompanyFactory(slug="fjordbanken")
    return WaveFactory()


def by_api(token: str, answers: dict[str, Any]) -> Any:
    response = APIClient().post(
        f"/api/v1/respond/{token}/submit/", {"answers": answers}, format="json"
    )
    submissions_expand()
    return response


def by_browser(client: Any, token: str, answers: dict[str, Any]) -> Any:
    """Answer the first page with ``answers`` and press Next, as a respondent would."""
    return client.post(f"/s/{token}/", {**answers, "action": "next"})


@pytest.mark.parametrize("answers", [{"contacted_cs": "no"}, {"contacted_cs": "no", **LATER}])
def test_a_no_to_screening_ends_the_survey_through_the_api_as_in_the_browser(
    client: Any, wave: Wave, answers: dict[str, Any]
) -> None:
    api = by_api(invite(wave), answers)
    assert api.status_code == 202, api.json()
    browser_token = invite(wave)
    by_browser(client, browser_token, answers)
    responses = list(Response.objects.order_by("id"))
    assert [r.status for r in responses] == [ResponseStatus.SCREENED_OUT] * 2
    # Answers after the page that screened the respondent out are not part of their answer.
    assert [r.draft for r in responses] == [{"contacted_cs": "no"}] * 2
    assert set(Invitation.objects.values_list("status", flat=True)) == {
        InvitationStatus.SCREENED_OUT
    }
    assert not Answer.objects.exists()


def test_a_yes_to_screening_still_needs_every_required_answer(client: Any, wave: Wave) -> None:
    api = by_api(invite(wave), {"contacted_cs": "yes"})
    assert api.status_code == 400
    assert {"company", "channel", "satisfaction"} <= set(api.json())
    token = invite(wave)
    by_browser(client, token, {"contacted_cs": "yes"})
    assert Response.objects.get().status == ResponseStatus.DRAFT
    assert Invitation.objects.filter(status=InvitationStatus.SCREENED_OUT).count() == 0


def test_questions_on_the_screening_page_are_required_in_both_paths(client: Any) -> None:
    spec = copy.deepcopy(KSINDEKS)
    spec["slug"] = "ksindeks-samme-side"
    spec["sections"][0]["questions"].append(
        {"key": "age_ok", "type": "yes_no", "text": "Er du over 18 år?", "text_en": "Over 18?"}
    )
    wave = WaveFactory(questionnaire=questionnaire_create(spec=spec))
    api = by_api(invite(wave), {"contacted_cs": "no"})
    assert api.status_code == 400
    assert set(api.json()) == {"detail", "age_ok"}
    page = by_browser(client, invite(wave), {"contacted_cs": "no"})
    assert page.status_code == 400  # the page again, with its error
    assert Response.objects.get().status == ResponseStatus.DRAFT
    assert by_api(invite(wave), {"contacted_cs": "no", "age_ok": "yes"}).status_code == 202
    assert Response.objects.filter(status=ResponseStatus.SCREENED_OUT).count() == 1
