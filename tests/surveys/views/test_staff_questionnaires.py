"""The builder pages: htmx fragments and plain-POST fallbacks, errors beside their fields, a fixed
query budget, the locked read-only view and the preview that saves nothing."""

import copy
import re
from typing import Any

import pytest
from django.utils import translation

from kundeservice.roles import Role
from surveys.models import Option, Question, Questionnaire, Response, ResponseSource, Section
from surveys.services.questionnaires import questionnaire_create
from surveys.specs import KSINDEKS
from tests.factories import UserFactory, WaveFactory, ksindeks_questionnaire

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


@pytest.fixture
def questionnaire() -> Questionnaire:
    return ksindeks_questionnaire()


def html(response: Any) -> str:
    return response.content.decode()


def section(questionnaire: Questionnaire, key: str) -> Section:
    return questionnaire.sections.get(key=key)


def question(questionnaire: Questionnaire, key: str) -> Question:
    return Question.objects.get(questionnaire=questionnaire, key=key)


def order(questionnaire: Questionnaire, key: str) -> list[str]:
    return list(
        section(questionnaire, key).questions.order_by("position").values_list("key", flat=True)
    )


def field_error(page: str, field_id: str) -> str:
    """The error text shown in the field group of the input with ``field_id``."""
    match = re.search(
        r'<div class="field has-error">(?:(?!<div class="field).)*?id="' + field_id + '"',
        page,
        re.S,
    )
    assert match, f"no error beside #{field_id}"
    return match.group(0)


def new_question(**extra: Any) -> dict[str, Any]:
    data = {
        "key": "quick",
        "type": "single_choice",
        "role": "",
        "text": "Gikk det raskt?",
        "text_en": "Was it quick?",
        "required": "on",
        "weight": "1",
        "scale": "",
        "relevant_q": "",
        "options-TOTAL_FORMS": "4",
        "options-INITIAL_FORMS": "0",
        "options-0-value": "yes",
        "options-0-label": "Ja",
        "options-0-label_en": "Yes",
        "options-1-value": "no",
        "options-1-label": "Nei",
        "options-1-label_en": "No",
    }
    return {**data, **extra}


def test_the_list_shows_versions_and_starts_a_questionnaire(manager: Any) -> None:
    wave = WaveFactory()
    Response.objects.create(wave=wave, source=ResponseSource.PANEL)
    page = html(manager.get("/en/staff/questionnaires/"))
    assert "ksindeks" in page
    assert "Yes: has responses" in page
    assert wave.name in page

    response = manager.post(
        "/en/staff/questionnaires/", {"slug": "poll", "kind": "poll", "title": "Rask måling"}
    )
    created = Questionnaire.objects.get(slug="poll")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/staff/questionnaires/{created.pk}/")

    response = manager.post(
        "/en/staff/questionnaires/", {"slug": "poll", "kind": "poll", "title": "Igjen"}
    )
    assert response.status_code == 400
    assert "exists already" in field_error(html(response), "id_slug")
    assert Questionnaire.objects.filter(slug="poll").count() == 1


def test_the_builder_page_costs_the_same_whatever_its_size(
    manager: Any, django_assert_max_num_queries: Any
) -> None:
    small = ksindeks_questionnaire()
    big_spec = copy.deepcopy(KSINDEKS)
    big_spec["slug"] = "big"
    for n in range(40):
        big_spec["sections"][3]["questions"].append(
            {
                "key": f"extra_{n}",
                "type": "single_choice",
                "text": f"Spørsmål {n}",
                "relevant": {"q": "resolved", "in": ["no"]},
                "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
            }
        )
    big = questionnaire_create(spec=big_spec)
    manager.get(f"/en/staff/questionnaires/{small.pk}/")  # session and user warm-up
    counts = []
    for questionnaire in (small, big):
        with django_assert_max_num_queries(10) as captured:
            response = manager.get(f"/en/staff/questionnaires/{questionnaire.pk}/")
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
    page = html(response)
    assert "extra_39" in page
    assert "Shown only when “resolved” is No" in page


def test_add_a_question_with_htmx(manager: Any, questionnaire: Questionnaire) -> None:
    contact = section(questionnaire, "contact")
    form = manager.get(f"/en/staff/questionnaires/sections/{contact.pk}/questions/new/", **HTMX)
    assert form.status_code == 200
    assert "<html" not in html(form)
    assert 'data-condition-for="contacted_cs"' in html(form)

    response = manager.post(
        f"/en/staff/questionnaires/sections/{contact.pk}/questions/new/",
        new_question(
            relevant_q="contacted_cs", relevant_in=["contacted_cs=yes"], **{"options-0-points": ""}
        ),
        **HTMX,
    )
    assert response.status_code == 200
    page = html(response)
    assert page.startswith('<div id="builder"')
    assert 'hx-swap-oob="innerHTML">Question “quick” added.</div>' in page
    created = question(questionnaire, "quick")
    assert f'data-focus="question-{created.pk}-edit"' in page
    assert created.relevant == {"q": "contacted_cs", "in": ["yes"]}
    assert list(created.options.values_list("value", "label_en")) == [("yes", "Yes"), ("no", "No")]
    assert order(questionnaire, "contact")[-1] == "quick"


def test_add_a_question_without_javascript(manager: Any, questionnaire: Questionnaire) -> None:
    contact = section(questionnaire, "contact")
    page = manager.get(f"/en/staff/questionnaires/sections/{contact.pk}/questions/new/")
    assert "<h1>New question in “Den siste kontakten”</h1>" in html(page)
    response = manager.post(
        f"/en/staff/questionnaires/sections/{contact.pk}/questions/new/", new_question()
    )
    created = question(questionnaire, "quick")
    assert response.status_code == 302
    assert response["Location"].endswith(
        f"/staff/questionnaires/{questionnaire.pk}/#question-{created.pk}"
    )
    assert "Question “quick” added." in html(manager.get(response["Location"]))


def test_errors_come_back_beside_their_fields(manager: Any, questionnaire: Questionnaire) -> None:
    contact = section(questionnaire, "contact")
    url = f"/en/staff/questionnaires/sections/{contact.pk}/questions/new/"
    data = new_question(key="company", **{"options-1-label": ""})
    data.pop("options-1-value")
    response = manager.post(url, data, **HTMX)
    assert response.status_code == 400
    assert response["HX-Retarget"] == f"#section-{contact.pk}-new-question-form"
    page = html(response)
    assert "the variable name is used twice" in field_error(page, f"section-{contact.pk}-new-key")
    assert "every option needs its own code" in field_error(
        page, f"section-{contact.pk}-new-options-1-value"
    )
    assert 'aria-invalid="true"' in page

    response = manager.post(url, new_question(relevant_q="contacted_cs"))
    assert response.status_code == 400
    page = html(response)
    assert "<h1>New question in" in page
    assert "Tick at least one answer." in page
    assert not Question.objects.filter(key="quick").exists()


def test_edit_a_question_and_its_condition(manager: Any, questionnaire: Questionnaire) -> None:
    target = question(questionnaire, "must_contact_again")
    url = f"/en/staff/questionnaires/questions/{target.pk}/"
    form = html(manager.get(url, **HTMX))
    assert 'value="resolved=partly" checked' in form
    assert 'value="resolved=yes">' in form
    assert "Present condition" not in form
    data = {
        "key": "again",
        "type": "yes_no",
        "role": "must_contact_again",
        "text": "Må du ta kontakt igjen?",
        "text_en": "Must you get in touch again?",
        "required": "on",
        "weight": "1",
        "relevant_q": "resolved",
        "relevant_in": ["resolved=no"],
    }
    response = manager.post(url, data, **HTMX)
    assert response.status_code == 200
    target.refresh_from_db()
    assert (target.key, target.relevant) == ("again", {"q": "resolved", "in": ["no"]})
    assert target.options.count() == 2


def test_reorder_with_the_keyboard_buttons(manager: Any, questionnaire: Questionnaire) -> None:
    nps = question(questionnaire, "nps")
    response = manager.post(
        f"/en/staff/questionnaires/questions/{nps.pk}/move/", {"direction": "up"}, **HTMX
    )
    assert response.status_code == 200
    page = html(response)
    assert "Question “nps” is now number 4 of 5 in “Opplevelsen”." in page
    assert f'data-focus="question-{nps.pk}-up"' in page
    assert order(questionnaire, "experience") == [
        "satisfaction",
        "resolved",
        "must_contact_again",
        "nps",
        "wait_minutes",
    ]
    # Up from the top of a section goes to the end of the one before.
    satisfaction = question(questionnaire, "satisfaction")
    manager.post(
        f"/en/staff/questionnaires/questions/{satisfaction.pk}/move/", {"direction": "up"}, **HTMX
    )
    assert order(questionnaire, "contact")[-1] == "satisfaction"


def test_a_refused_move_explains_and_changes_nothing(
    manager: Any, questionnaire: Questionnaire
) -> None:
    dependant = question(questionnaire, "must_contact_again")
    before = order(questionnaire, "experience")
    response = manager.post(
        f"/en/staff/questionnaires/questions/{dependant.pk}/move/", {"direction": "up"}, **HTMX
    )
    assert response.status_code == 400
    assert (
        "Question “must_contact_again”: the condition refers to resolved, which is not an "
        "earlier question." in html(response)
    )
    assert order(questionnaire, "experience") == before
    response = manager.post(
        f"/en/staff/questionnaires/questions/{dependant.pk}/move/", {"direction": "up"}
    )
    assert response.status_code == 302
    assert "which is not an earlier question" in html(manager.get(response["Location"]))


def test_a_drop_moves_into_another_section(manager: Any, questionnaire: Questionnaire) -> None:
    comment = question(questionnaire, "comment")
    contact = section(questionnaire, "contact")
    response = manager.post(
        f"/en/staff/questionnaires/questions/{comment.pk}/move/",
        {"position": "0", "section": str(contact.pk)},
        **HTMX,
    )
    assert response.status_code == 200
    assert order(questionnaire, "contact")[0] == "comment"
    sections = [section(questionnaire, k) for k in ("screening", "contact")]
    manager.post(
        f"/en/staff/questionnaires/sections/{sections[1].pk}/move/", {"position": "0"}, **HTMX
    )
    assert list(questionnaire.sections.values_list("key", flat=True))[:2] == [
        "contact",
        "screening",
    ]


def test_options_are_edited_in_place(manager: Any, questionnaire: Questionnaire) -> None:
    resolved = question(questionnaire, "resolved")
    response = manager.post(
        f"/en/staff/questionnaires/questions/{resolved.pk}/options/new/",
        {"value": "dunno", "label": "Vet ikke", "label_en": "Not sure", "points": ""},
        **HTMX,
    )
    assert response.status_code == 200
    dunno = Option.objects.get(question=resolved, value="dunno")
    manager.post(f"/en/staff/questionnaires/options/{dunno.pk}/move/", {"direction": "up"}, **HTMX)
    assert list(resolved.options.values_list("value", flat=True)) == [
        "yes",
        "partly",
        "dunno",
        "no",
    ]
    response = manager.post(
        f"/en/staff/questionnaires/options/{dunno.pk}/",
        {"value": "yes", "label": "Vet ikke", "points": "x"},
        **HTMX,
    )
    assert response.status_code == 400
    page = html(response)
    assert "Enter a number." in field_error(page, f"option-{dunno.pk}-points")
    response = manager.post(
        f"/en/staff/questionnaires/options/{dunno.pk}/",
        {"value": "yes", "label": "Vet ikke"},
        **HTMX,
    )
    assert "every option needs its own code" in field_error(
        html(response), f"option-{dunno.pk}-value"
    )
    partly = Option.objects.get(question=resolved, value="partly")
    response = manager.post(f"/en/staff/questionnaires/options/{partly.pk}/delete/", **HTMX)
    assert response.status_code == 400
    assert "the condition of “must_contact_again” uses it" in html(response)
    manager.post(f"/en/staff/questionnaires/options/{dunno.pk}/delete/", **HTMX)
    assert resolved.options.count() == 3


def test_sections_are_added_and_edited(manager: Any, questionnaire: Questionnaire) -> None:
    response = manager.post(
        f"/en/staff/questionnaires/{questionnaire.pk}/sections/new/",
        {
            "key": "extra",
            "title": "Ekstra",
            "title_en": "Extra",
            "weight": "1",
            "relevant_q": "contacted_cs",
            "relevant_in": ["contacted_cs=yes"],
        },
        **HTMX,
    )
    assert response.status_code == 200
    extra = section(questionnaire, "extra")
    assert (extra.position, extra.relevant) == (4, {"q": "contacted_cs", "in": ["yes"]})
    response = manager.post(
        f"/en/staff/questionnaires/sections/{extra.pk}/",
        {"key": "screening", "title": "Ekstra", "weight": "1"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "the key is used twice" in field_error(html(response), f"section-{extra.pk}-key")
    response = manager.post(f"/en/staff/questionnaires/sections/{extra.pk}/delete/", **HTMX)
    assert response.status_code == 200
    assert not Section.objects.filter(pk=extra.pk).exists()


def test_titles_are_edited_on_the_builder_page(manager: Any, questionnaire: Questionnaire) -> None:
    url = f"/en/staff/questionnaires/{questionnaire.pk}/"
    response = manager.post(url, {"title": "", "kind": "survey"}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in field_error(html(response), "id_title")
    response = manager.post(
        url, {"title": "Ny", "title_en": "New", "kind": "survey", "intro": "Hei"}
    )
    assert response.status_code == 302
    questionnaire.refresh_from_db()
    assert (questionnaire.title, questionnaire.intro) == ("Ny", "Hei")


def test_a_locked_version_is_read_only_until_copied(manager: Any) -> None:
    wave = WaveFactory()
    Response.objects.create(wave=wave, source=ResponseSource.PANEL)
    locked = wave.questionnaire
    page = html(manager.get(f"/en/staff/questionnaires/{locked.pk}/"))
    assert "Make a new version" in page
    assert "Add question" not in page
    assert "Move up" not in page
    nps = question(locked, "nps")
    response = manager.post(
        f"/en/staff/questionnaires/questions/{nps.pk}/move/", {"direction": "up"}, **HTMX
    )
    assert response.status_code == 400
    assert "This version has responses; make a new version to edit it." in html(response)

    response = manager.post(f"/en/staff/questionnaires/{locked.pk}/new-version/")
    fresh = Questionnaire.objects.get(slug=locked.slug, version=2)
    assert response["Location"].endswith(f"/staff/questionnaires/{fresh.pk}/")
    page = html(manager.get(response["Location"]))
    assert "Version 2 is a copy of version 1; edit it here." in page
    assert "Add question" in page
    assert f'href="/en/staff/questionnaires/{fresh.pk}/"' in html(
        manager.get(f"/en/staff/questionnaires/{locked.pk}/")
    )


def test_the_preview_pages_through_and_saves_nothing(
    manager: Any, questionnaire: Questionnaire
) -> None:
    url = f"/en/staff/questionnaires/{questionnaire.pk}/preview/"
    page = html(manager.get(url + "?lang=en"))
    assert "customer service in the last 14 days?" in page
    assert "Page 1 of 4" in page
    assert "Nothing is saved." in page

    response = manager.post(url + "?lang=en", {"action": "next"})
    assert response.status_code == 400
    assert "This question needs an answer." in html(response)
    response = manager.post(url + "?lang=en", {"action": "next", "contacted_cs": "yes"})
    assert response.status_code == 302
    page = html(manager.get(response["Location"]))
    assert "Which company did you last contact?" in page
    with translation.override("nb"):
        page = html(manager.get(url + "?lang=nb"))
    assert "Hvilken virksomhet var du sist i kontakt med?" in page

    autosave = manager.post(url + "?lang=en", {"action": "stay", "channel": "chat"}, **HTMX)
    assert autosave.status_code == 200
    assert "Your answers are saved." in html(autosave)

    manager.get(url + "?lang=en&restart")
    manager.post(url + "?lang=en", {"action": "next", "contacted_cs": "no"})
    page = html(manager.get(url + "?lang=en"))
    assert "so we have no more questions for you this time" in page
    assert not Response.objects.exists()
    assert "Page 1 of 4" in html(manager.get(url + "?lang=en&restart", follow=True))
