"""API: import a questionnaire from XLSForm (multipart) and download one as .xlsx."""

import io
from typing import Any

import pytest
from django.utils import translation

from kundeservice.roles import Role
from surveys.models import Questionnaire
from surveys.services.xlsform import questionnaire_review_xlsform
from surveys.xlsform import XLSX_MEDIA_TYPE
from tests.factories import UserFactory, ksindeks_questionnaire
from tests.surveys.xlsforms import build, change_row, table, xlsx

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


WARNED = {
    "survey": table(
        [
            {
                "type": "text",
                "name": "navn",
                "label::nb": "Navn",
                "label::en": "Name",
                "appearance": "multiline",
            },
            {"type": "geopoint", "name": "sted", "label::nb": "Hvor?", "label::en": "Where?"},
        ]
    ),
    "settings": table([{"form_title": "Varsler", "form_id": "varsler"}]),
}


@pytest.mark.parametrize(
    ("language", "appearance", "geopoint"),
    [
        ("en", "appearance is not shown in web surveys.", "“geopoint” is not shown in web surveys"),
        ("nb", "appearance vises ikke i nettundersøkelser.", "«geopoint» vises ikke"),
    ],
)
def test_import_answers_with_the_warnings_of_the_review_page_in_the_requesters_language(
    api: Any, language: str, appearance: str, geopoint: str
) -> None:
    response = api.post(
        "/api/v1/questionnaires/import-xlsform/",
        {"file": upload(xlsx(WARNED).getvalue())},
        headers={"Accept-Language": language},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "varsler"
    warnings = body["warnings"]
    assert [(w["sheet"], w["row"], w["column"]) for w in warnings] == [
        ("survey", 2, "appearance"),
        ("survey", 3, "type"),
    ]
    assert warnings[0]["message"] == appearance
    assert warnings[1]["message"].startswith(geopoint)
    # The same list the console's review page shows before the user confirms.
    with translation.override(language):
        reviewed = questionnaire_review_xlsform(file=xlsx(WARNED), filename="varsler.xlsx")
    assert warnings == [w.as_dict() for w in reviewed.warnings]


def test_import_of_a_form_shown_whole_has_no_warnings(api: Any) -> None:
    response = api.post(
        "/api/v1/questionnaires/import-xlsform/", {"file": upload(build().getvalue())}
    )
    assert response.json()["warnings"] == []


def test_the_schema_describes_the_warnings(api: Any) -> None:
    document = api.get("/api/schema/?format=json").json()
    operation = document["paths"]["/api/v1/questionnaires/import-xlsform/"]["post"]
    reference = operation["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    component = document["components"]["schemas"][reference.rsplit("/", 1)[1]]
    warnings = component["properties"]["warnings"]
    assert warnings["readOnly"] is True
    item = document["components"]["schemas"][warnings["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(item["properties"]) == {"sheet", "row", "column", "message"}
    assert "Accept-Language" in item["properties"]["message"]["description"]
