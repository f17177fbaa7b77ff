"""Staff console: import a questionnaire from XLSForm, see every bad row, download one."""

import io
import re
from typing import Any

import pytest
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from kundeservice.roles import Role
from surveys.models import Questionnaire
from surveys.views import staff_xlsform
from tests.factories import UserFactory, ksindeks_questionnaire
from tests.surveys.xlsforms import build, change_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def upload(data: io.BytesIO | bytes, name: str = "skjema.xlsx") -> io.BytesIO:
    file = io.BytesIO(data if isinstance(data, bytes) else data.getvalue())
    file.name = name
    return file


def test_the_page_shows_the_form_and_what_a_workbook_may_contain(manager: Any) -> None:
    html = manager.get("/en/staff/questionnaires/import/").content.decode()
    assert 'type="file"' in html
    assert "select_one_from_file companies.csv" in html


def confirm(client: Any, response: Any, url: str = "/en/staff/questionnaires/import/") -> Any:
    token = re.search(r'name="confirm" value="([^"]+)"', response.content.decode())
    assert token is not None, response.content.decode()[:2000]
    return client.post(url, {"confirm": token.group(1)})


def test_an_import_is_reviewed_then_goes_to_the_new_questionnaire(manager: Any) -> None:
    review = manager.post("/en/staff/questionnaires/import/", {"file": upload(build())})
    assert review.status_code == 200
    assert "Check the questionnaire before importing" in review.content.decode()
    assert not Questionnaire.objects.exists()
    response = confirm(manager, review)
    questionnaire = Questionnaire.objects.get(slug="skjema")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "staff-questionnaire-detail", kwargs={"pk": questionnaire.pk}
    )
    page = manager.get(response["Location"]).content.decode()
    assert "Imported “Skjema” as version 1." in page


def test_without_the_builder_an_import_goes_to_the_console(
    manager: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def reverse_without_builder(name: str, **kwargs: Any) -> str:
        if name == "staff-questionnaire-detail":
            raise NoReverseMatch(name)
        return reverse(name, **kwargs)

    monkeypatch.setattr(staff_xlsform, "reverse", reverse_without_builder)
    review = manager.post("/staff/questionnaires/import/", {"file": upload(build())})
    response = confirm(manager, review, "/staff/questionnaires/import/")
    assert response["Location"] == reverse("staff-dashboard")


def test_bad_rows_are_listed_by_sheet_row_and_column_and_nothing_is_imported(
    manager: Any,
) -> None:
    def spoil(form: Any) -> None:
        change_row("survey", 3, relevant="today() > 1")(form)
        change_row("choices", 2, points="mange")(form)

    response = manager.post("/en/staff/questionnaires/import/", {"file": upload(build(spoil))})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported: the XLSForm has 2 error(s)." in html
    assert '<td class="num">5</td><td>survey › relevant</td>' in html
    assert "The function today() is not supported" in html
    assert "<td>choices › points</td>" in html
    assert not Questionnaire.objects.exists()


def test_a_file_that_is_no_workbook_gets_its_message_by_the_field(manager: Any) -> None:
    response = manager.post(
        "/en/staff/questionnaires/import/", {"file": upload(b"type;name\n", "skjema.pdf")}
    )
    assert response.status_code == 400
    assert "Unsupported file type skjema.pdf: an XLSForm is an Excel workbook" in (
        response.content.decode()
    )
    assert not Questionnaire.objects.exists()


def test_download_is_an_xlsform_that_imports_again(manager: Any) -> None:
    questionnaire = ksindeks_questionnaire()
    response = manager.get(f"/staff/questionnaires/{questionnaire.pk}/xlsform/")
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == 'attachment; filename="ksindeks-v1.xlsx"'
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook["settings"]["C2"].value == "ksindeks"
    review = manager.post("/staff/questionnaires/import/", {"file": upload(response.content)})
    assert confirm(manager, review, "/staff/questionnaires/import/").status_code == 302
    assert Questionnaire.objects.filter(slug="ksindeks").count() == 2


def test_download_of_an_unknown_questionnaire_is_404(manager: Any) -> None:
    assert manager.get("/staff/questionnaires/999999/xlsform/").status_code == 404


def test_the_review_lists_what_is_not_shown_and_a_stale_confirm_imports_nothing(
    manager: Any,
) -> None:
    def with_location(form: Any) -> None:
        form["survey"].insert(1, {"type": "geopoint", "name": "sted", "label::nb": "Hvor?"})

    review = manager.post(
        "/en/staff/questionnaires/import/", {"file": upload(build(with_location))}
    )
    html = review.content.decode()
    assert "Imported but not shown in web surveys" in html
    assert "“geopoint” is not shown in web surveys: sted is kept" in html
    stale = manager.post("/en/staff/questionnaires/import/", {"confirm": "not-the-token"})
    assert stale.status_code == 302
    assert not Questionnaire.objects.exists()
    assert confirm(manager, review).status_code == 302
    assert Questionnaire.objects.get().questions.filter(key="sted", relevant={"any": []}).exists()
