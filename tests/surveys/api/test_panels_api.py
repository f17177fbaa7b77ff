"""The panels API: staff manage waves and panelists; respondents submit with their token."""

import copy
import io
from typing import Any

import pytest
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.models import (
    Answer,
    Panelist,
    Questionnaire,
    Response,
    ResponseSource,
    ResponseStatus,
)
from surveys.services.builder import questionnaire_new_version
from surveys.services.submissions import submissions_expand
from surveys.specs import KSINDEKS
from tests.factories import (
    CompanyFactory,
    PanelistFactory,
    UserFactory,
    WaveFactory,
    invite,
    ksindeks_questionnaire,
)

pytestmark = pytest.mark.django_db

ANSWERS = {
    "contacted_cs": "yes",
    "company": "fjordbanken",
    "channel": "email",
    "contacted_before": "no",
    "satisfaction": 2,
    "resolved": "no",
    "must_contact_again": "yes",
    "nps": 3,
    "preferred_channel": "chat",
}


@pytest.fixture
def staff() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_create_a_questionnaire_version_from_a_spec(staff: APIClient) -> None:
    response = staff.post("/api/v1/questionnaires/", copy.deepcopy(KSINDEKS), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["version"] == 1
    bad = copy.deepcopy(KSINDEKS)
    bad["sections"][0]["questions"][0]["type"] = "slider"
    refused = staff.post("/api/v1/questionnaires/", bad, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "unknown type" in str(refused.json())
    assert Questionnaire.objects.count() == 1


def test_wave_dates_must_be_in_order(staff: APIClient) -> None:
    wave = WaveFactory()
    response = staff.patch(f"/api/v1/waves/{wave.pk}/", {"ends_on": "2025-01-01"}, format="json")
    assert response.status_code == 400
    assert "ends_on" in response.json()


def test_invite_send_and_gdpr_over_the_api(
    staff: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    wave = WaveFactory()
    upload = io.BytesIO(b"email,birth_year\na@example.no,1970\nb@example.no,1990\n")
    upload.name = "panel.csv"
    assert staff.post("/api/v1/panelists/import/", {"file": upload}, format="multipart").json() == {
        "created": 2,
        "updated": 0,
        "merged_rows": 0,
    }
    assert staff.post(f"/api/v1/waves/{wave.pk}/invite/", {"seed": 1}, format="json").json() == {
        "invited": 2
    }
    with django_capture_on_commit_callbacks(execute=True):
        started = staff.post(f"/api/v1/waves/{wave.pk}/send/")
    assert started.status_code == 202
    panelist = Panelist.objects.get(email="a@example.no")
    assert (
        staff.get(f"/api/v1/panelists/{panelist.pk}/export/").json()["panelist"]["birth_year"]
        == 1970
    )
    erased = staff.post(f"/api/v1/panelists/{panelist.pk}/erase/").json()
    assert erased["email"] is None
    assert erased["erased_at"]


def test_respondent_submits_with_the_token_once() -> None:
    CompanyFactory(slug="fjordbanken")
    token = invite(WaveFactory())
    client = APIClient()
    url = f"/api/v1/respond/{token}/submit/"
    first = client.post(url, {"answers": ANSWERS}, format="json")
    assert (first.status_code, first.json()) == (202, {"status": "received"})
    retried = client.post(url, {"answers": ANSWERS}, format="json")
    assert (retried.status_code, retried.json()) == (202, {"status": "received"})
    submissions_expand()  # the worker
    again = client.post(url, {"answers": ANSWERS}, format="json")
    assert again.status_code == 200
    assert again.json() == {"status": "submitted"}
    assert Response.objects.get().status == ResponseStatus.SUBMITTED
    assert Answer.objects.count() == len(ANSWERS)


def test_respondent_api_reports_every_bad_answer() -> None:
    token = invite(WaveFactory())
    client = APIClient()
    response = client.post(
        f"/api/v1/respond/{token}/submit/",
        {"answers": {**ANSWERS, "satisfaction": 9, "colour": "blue"}},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["satisfaction"] == "Velg et helt tall fra 1 til 6."  # the respondent's language
    assert "colour" in body
    assert not Answer.objects.exists()


def test_unknown_token_is_404() -> None:
    response = APIClient().post("/api/v1/respond/nope/submit/", {"answers": {}}, format="json")
    assert response.status_code == 404


def test_invalidating_a_response_is_logged(
    staff: APIClient, django_capture_on_commit_callbacks: Any
) -> None:
    CompanyFactory(slug="fjordbanken")
    token = invite(WaveFactory())
    with django_capture_on_commit_callbacks(execute=True):  # the (eager) worker saves it
        APIClient().post(f"/api/v1/respond/{token}/submit/", {"answers": ANSWERS}, format="json")
    response = Response.objects.get()
    refused = staff.post(
        f"/api/v1/responses/{response.pk}/invalidate/", {"reason": " "}, format="json"
    )
    assert refused.status_code == 400
    done = staff.post(
        f"/api/v1/responses/{response.pk}/invalidate/", {"reason": "Straight-lining"}, format="json"
    )
    assert done.status_code == 200
    response.refresh_from_db()
    assert response.invalid_reason == "Straight-lining"
    assert response.invalidated_by is not None
    assert response.invalidated_at is not None


def test_panelists_are_not_public() -> None:
    PanelistFactory()
    assert APIClient().get("/api/v1/panelists/").status_code == 401


# Found by the schema fuzzer; each failed before its fix.
def test_duplicate_panelist_email_is_a_clear_400_not_a_server_error(staff: APIClient) -> None:
    PanelistFactory(email="kari@example.no")
    response = staff.post("/api/v1/panelists/", {"email": "Kari@Example.no"}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert Panelist.objects.count() == 1


@pytest.mark.parametrize(
    "spec",
    [
        {"slug": "x", "title": "X", "sections": [[None, None]]},
        {"slug": "x", "title": "X", "sections": [{"key": "a", "title": "A", "questions": ["q"]}]},
        {"slug": "x", "title": "T\x00", "sections": []},
        {"slug": "x", "title": "X" * 201, "sections": []},
        {
            "slug": "x",
            "title": "X",
            "sections": [
                {
                    "key": "a",
                    "title": "A",
                    "questions": [{"key": "q", "type": "rating", "text": "Q", "scale": [[1], [5]]}],
                }
            ],
        },
        {
            "slug": "x",
            "title": "X",
            "sections": [
                {
                    "key": "a",
                    "title": "A",
                    "questions": [{"key": "q", "type": "yes_no", "text": "Q", "required": "maybe"}],
                }
            ],
        },
    ],
)
def test_malformed_questionnaire_specs_are_400(staff: APIClient, spec: dict[str, Any]) -> None:
    response = staff.post("/api/v1/questionnaires/", spec, format="json")
    assert response.status_code == 400, response.content
    assert not Questionnaire.objects.exists()


@pytest.mark.parametrize("payload", [{"name_en": 0}, {"position": "3"}, {"position": True}])
def test_values_of_the_wrong_json_type_are_refused(
    staff: APIClient, payload: dict[str, Any]
) -> None:
    staff.force_authenticate(UserFactory(roles=[Role.STAFF_ADMIN]))
    body = {"slug": "bank", "name": "Bank", "name_en": "Banking", "position": 1, **payload}
    assert staff.post("/api/v1/industries/", body, format="json").status_code == 400


def test_a_weight_of_10000_is_stored_and_one_of_10001_is_a_400_not_a_500(
    staff: APIClient,
) -> None:
    spec = copy.deepcopy(KSINDEKS)
    spec["sections"][0]["weight"] = 10_000
    assert staff.post("/api/v1/questionnaires/", spec, format="json").status_code == 201
    spec["sections"][0]["weight"] = 10_001
    refused = staff.post("/api/v1/questionnaires/", spec, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 400
    assert "from 0 to 10 000" in str(refused.json())


def test_the_api_keeps_the_questionnaire_version_of_a_wave_with_responses(
    staff: APIClient,
) -> None:
    wave = WaveFactory()
    newer = questionnaire_new_version(questionnaire=wave.questionnaire)
    url = f"/api/v1/waves/{wave.pk}/"
    assert staff.patch(url, {"questionnaire": newer.pk}, format="json").status_code == 200
    Response.objects.create(wave=wave, source=ResponseSource.PANEL)
    refused = staff.patch(url, {"questionnaire": ksindeks_questionnaire().pk}, format="json")
    assert refused.status_code == 400
    assert refused.json()["questionnaire"][0].endswith("Lag en ny bølge for den nye versjonen.")
    wave.refresh_from_db()
    assert wave.questionnaire == newer
    assert staff.patch(url, {"name": "Nytt navn"}, format="json").status_code == 200
