"""API: import a questionnaire from XLSForm (multipart) and download one as .xlsx."""

import io
from typing import Any

import pytest

from kundeservice.roles import Role
from surveys.models import Questionnaire
from surveys.xlsform import XLSX_MEDIA_TYPE
from tests.factories import UserFactory, ksindeks_questionnaire
from tests.surveys.xlsforms import build, change_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def upload(data: bytes, name: str = "skjema.xlsx") -> io.BytesIO:
    file = io.BytesIO(data)
    file.name = name
    return file


def test_import_creates_the_questionnaire(api: Any) -> None:
    response = api.post(
        "/api/v1/questionnaires/import-xlsform/", {"file": upload(build().getvalue())}
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["version"], body["title"]) == ("skjema", 1, "Skjema")


def test_import_lists_errors_with_sheet_row_and_column(api: Any) -> None:
    spoiled = build(change_row("survey", 1, role="sjef")).getvalue()
    response = api.post(
        "/api/v1/questionnaires/import-xlsform/",
        {"file": upload(spoiled)},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith("Nothing was imported")
    assert [(e["sheet"], e["row"], e["column"]) for e in body["errors"]] == [("survey", 3, "role")]
    assert "Unknown role “sjef”" in body["errors"][0]["message"]
    assert not Questionnaire.objects.exists()


def test_import_without_a_file_is_400(api: Any) -> None:
    response = api.post("/api/v1/questionnaires/import-xlsform/", {})
    assert response.status_code == 400
    assert not Questionnaire.objects.exists()


def test_a_file_that_is_no_workbook_is_400(api: Any) -> None:
    response = api.post(
        "/api/v1/questionnaires/import-xlsform/",
        {"file": upload(b"\x00\x01 not a zip")},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "The file is not a readable XLSForm (.xlsx, .xls, .csv or .md)."
    )


def test_download_returns_the_workbook(api: Any) -> None:
    questionnaire = ksindeks_questionnaire()
    response = api.get(
        f"/api/v1/questionnaires/{questionnaire.pk}/xlsform/",
        headers={"Accept": XLSX_MEDIA_TYPE},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    again = api.post("/api/v1/questionnaires/import-xlsform/", {"file": upload(response.content)})
    assert again.json()["version"] == 2


def test_download_of_an_unknown_questionnaire_is_a_json_404(api: Any) -> None:
    response = api.get(
        "/api/v1/questionnaires/999999/xlsform/", headers={"Accept": XLSX_MEDIA_TYPE}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
