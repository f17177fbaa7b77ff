"""The respondent's flow through /s/<token>/ with the Django test client."""

import datetime
from typing import Any

import pytest
from django.utils import timezone

from surveys.models import (
    Answer,
    Invitation,
    InvitationStatus,
    Response,
    ResponseStatus,
    WaveStatus,
)
from surveys.services.invitations import invitations_create
from surveys.services.responding import token_for
from tests.factories import CompanyFactory, PanelistFactory, WaveFactory, invite

pytestmark = pytest.mark.django_db


@pytest.fixture
def wave() -> Any:
    CompanyFactory(slug="fjordbanken", name="Fjordbanken")
    return WaveFactory()


def answer_pages(client: Any, url: str, *pages: dict[str, Any]) -> None:
    for page in pages:
        response = client.post(url, {**page, "action": "next"})
        assert response.status_code == 302, response.content.decode()[:2000]


FULL = [
    {"contacted_cs": "yes"},
    {"company": "fjordbanken", "channel": "chat", "contacted_before": "no"},
    {
        "satisfaction": "5",
        "resolved": "partly",
        "must_contact_again": "yes",
        "wait_minutes": "4,5",
        "nps": "9",
    },
    {"preferred_channel": "chat", "comment": "Rask og hyggelig."},
]


def test_respondent_answers_every_page_and_submits_once(client: Any, wave: Any) -> None:
    token = invite(wave)
    url = f"/s/{token}/"
    first = client.get(url)
    assert first.status_code == 200
    assert "Side 1 av 4" in first.content.decode()
    answer_pages(client, url, *FULL)
    review = client.get(url)
    assert "Klar til å sende" in review.content.decode()
    assert client.post(url, {"action": "submit"}).status_code == 302
    assert client.post(url, {"action": "submit"}).status_code == 200  # thank-you page, no error

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.company.slug == "fjordbanken"
    assert response.channel == "chat"
    assert (response.gender, response.age_group, response.region) == ("female", "45-59", "oslo")
    answers = {a.question.key: a for a in Answer.objects.select_related("question")}
    assert answers["satisfaction"].value_number == 5
    assert answers["satisfaction"].score == pytest.approx(80.0)  # (5 - 1) / 5 * 100
    assert answers["nps"].score == pytest.approx(90.0)
    assert answers["wait_minutes"].value_number == 4.5
    assert answers["resolved"].value_text == "partly"
    assert {a.wave_id for a in answers.values()} == {wave.pk}
    assert {a.channel for a in answers.values()} == {"chat"}
    assert Invitation.objects.get().status == InvitationStatus.COMPLETED
    assert "Takk!" in client.get(url).content.decode()


def test_hidden_questions_are_not_stored(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    pages = [dict(p) for p in FULL]
    pages[2] = {"satisfaction": "6", "resolved": "yes", "must_contact_again": "yes", "nps": "10"}
    answer_pages(client, url, *pages)
    client.post(url, {"action": "submit"})
    keys = set(Answer.objects.values_list("question__key", flat=True))
    assert "must_contact_again" not in keys
    assert "resolved" in keys


def test_changing_an_earlier_answer_drops_what_it_hid(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:3])
    assert Response.objects.get().draft["must_contact_again"] == "yes"
    client.post(url, {"action": "back"})
    client.post(url, {**FULL[2], "resolved": "yes", "action": "stay"})
    assert "must_contact_again" not in Response.objects.get().draft


def test_screening_no_ends_politely(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    response = client.post(url, {"contacted_cs": "no", "action": "next"}, follow=True)
    assert "ingen flere spørsmål" in response.content.decode()
    assert Response.objects.get().status == ResponseStatus.SCREENED_OUT
    assert Invitation.objects.get().status == InvitationStatus.SCREENED_OUT
    assert not Answer.objects.exists()


def test_missing_and_malformed_answers_get_messages_in_the_respondents_language(
    client: Any, wave: Any
) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    response = client.post(url, {"satisfaction": "9", "wait_minutes": "lenge", "action": "next"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Velg et helt tall fra 1 til 6." in html
    assert "Skriv inn et tall." in html
    assert "Dette spørsmålet må besvares." in html
    assert 'aria-invalid="true"' in html
    english = client.post(url + "?lang=en", {"satisfaction": "9", "action": "next"})
    assert "Choose a whole number from 1 to 6." in english.content.decode()


def test_resume_where_the_respondent_left_on_another_device(
    client: Any, wave: Any, django_assert_max_num_queries: Any
) -> None:
    from django.test import Client

    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    other_device = Client()
    with django_assert_max_num_queries(10):
        page = other_device.get(url)
    html = page.content.decode()
    assert "Side 3 av 4" in html
    other_device.post(url, {"action": "back"})
    assert 'value="chat" checked' in other_device.get(url).content.decode()


def test_every_respondent_page_stays_within_ten_queries(
    client: Any, wave: Any, django_assert_max_num_queries: Any
) -> None:
    url = f"/s/{invite(wave)}/"
    for page in FULL:
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200
        with django_assert_max_num_queries(10):
            client.post(url, {**page, "action": "next"})
    with django_assert_max_num_queries(10):
        client.post(url, {"action": "submit"})


def test_a_page_saves_with_the_link_lookup_and_one_update(
    client: Any, wave: Any, django_assert_num_queries: Any
) -> None:
    """Once the draft exists, an autosave and a "Next" take no row lock: one UPDATE that holds
    only while the row is as read (tests/concurrency/test_autosave_race.py races it)."""
    url = f"/s/{invite(wave)}/"
    client.post(url, {"contacted_cs": "yes", "action": "stay"})  # creates the draft
    script = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "survey"}
    with django_assert_num_queries(2):
        saved = client.post(url, {"contacted_cs": "yes", "action": "stay"}, HTTP_X_AUTOSAVE="1")
    assert saved.status_code == 200
    with django_assert_num_queries(2):
        moved = client.post(url, {"contacted_cs": "yes", "action": "next", "page": "0"}, **script)
    assert "Side 2 av 4" in moved.content.decode()
    assert Response.objects.get().page == 1


def test_unknown_expired_and_closed_links_get_clear_pages(client: Any, wave: Any) -> None:
    unknown = client.get("/s/finnes-ikke/")
    assert unknown.status_code == 404
    assert "Fant ikke undersøkelsen" in unknown.content.decode()

    token = invite(wave)
    Invitation.objects.update(expires_at=timezone.now())
    expired = client.get(f"/s/{token}/")
    assert expired.status_code == 410
    assert "Undersøkelsen er avsluttet" in expired.content.decode()

    other = WaveFactory(status=WaveStatus.CLOSED)
    assert client.get(f"/s/{invite(other, PanelistFactory())}/").status_code == 410


def test_submit_with_unanswered_pages_sends_the_respondent_back(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL)
    Response.objects.update(draft={"contacted_cs": "yes"}, page=4)
    response = client.post(url, {"action": "submit"})
    assert response.status_code == 400
    assert "Side 2 av 4" in response.content.decode()
    assert not Answer.objects.exists()


def test_a_late_autosave_does_not_undo_next(client: Any, wave: Any) -> None:
    """Found in the browser test: the autosave timer fired as the page was leaving."""
    from surveys.selectors import questionnaire_structure
    from surveys.services.responding import page_save

    url = f"/s/{invite(wave)}/"
    client.post(url, {"action": "stay"})  # the first answer creates the draft
    stale = Response.objects.get()  # what the late autosave request loaded: still page 0
    client.post(url, {"contacted_cs": "yes", "action": "next"})
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    page_save(response=stale, structure=structure, data={"contacted_cs": ["yes"]}, direction="stay")
    assert Response.objects.get().page == 1


def test_a_link_answered_through_the_api_thanks_the_respondent_while_it_waits(
    client: Any, wave: Any
) -> None:
    """Found in issue 3's note: the form came back while the API's submission waited to be
    saved, and whatever was answered there was thrown away when it was."""
    from surveys.models import SubmissionInbox, SubmissionStatus
    from surveys.services.submissions import submission_accept, submissions_expand
    from tests.surveys.api.test_respond_submit import ANSWERS

    token = invite(wave)
    url = f"/s/{token}/"
    client.post(url, {"action": "stay"})  # answered in the browser first: a draft exists
    submission_accept(token=token, answers=ANSWERS)
    waiting = client.get(url)
    assert waiting.status_code == 200
    assert "Takk!" in waiting.content.decode()
    assert "<form" not in waiting.content.decode()
    assert "Takk!" in client.post(url, {"contacted_cs": "no", "action": "next"}).content.decode()
    assert Response.objects.get().draft == {}  # nothing from the browser kept meanwhile
    assert submissions_expand() == {"saved": 1}
    assert Response.objects.get().draft["contacted_cs"] == ANSWERS["contacted_cs"]
    assert "Takk!" in client.get(url).content.decode()

    # A submission that could not be saved leaves the link to be answered in the browser.
    other = invite(wave, PanelistFactory())
    submission_accept(token=other, answers=ANSWERS)
    SubmissionInbox.objects.filter(invitation__response__isnull=True).update(
        status=SubmissionStatus.FAILED
    )
    assert "Side 1 av 4" in client.get(f"/s/{other}/").content.decode()


# --- Issue 17 (respondent traps), issue 19 #10 (link scanners), issue 21 (the browser path) ---

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_a_link_scanners_get_neither_creates_a_draft_nor_counts_an_open(
    client: Any, wave: Any
) -> None:
    url = f"/s/{invite(wave)}/"
    assert "Side 1 av 4" in client.get(url).content.decode()
    assert client.get(url + "?lang=en").status_code == 200
    assert not Response.objects.exists()
    invitation = Invitation.objects.get()
    status = invitation.status
    assert invitation.opened_at is None
    assert status not in {InvitationStatus.OPENED, InvitationStatus.STARTED}

    client.post(url, {"contacted_cs": "yes", "action": "stay"})  # a real answer
    invitation.refresh_from_db()
    assert invitation.opened_at is not None
    assert invitation.started_at is not None
    assert Response.objects.get().draft == {"contacted_cs": "yes"}


def test_invalid_input_is_kept_with_its_error_and_the_last_valid_answer_stays(
    client: Any, wave: Any
) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    client.post(url, {"wait_minutes": "7", "action": "stay"})
    page = client.post(url, {"satisfaction": "5", "wait_minutes": "abc", "action": "next"})
    html = page.content.decode()
    assert page.status_code == 400
    assert 'value="abc"' in html
    assert "Skriv inn et tall." in html
    autosave = client.post(url, {"wait_minutes": "-5", "action": "stay"}, HTTP_X_AUTOSAVE="1")
    assert 'value="-5"' in autosave.content.decode()
    assert Response.objects.get().draft["wait_minutes"] == 7  # never erased by the refusal


def test_enter_in_a_text_field_means_next(client: Any, wave: Any) -> None:
    """The browser submits with the form's first submit button when Enter is pressed."""
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    html = client.get(url).content.decode()
    form = html[html.index("<form") :]
    first_button = form[form.index("<button") : form.index("</button>")]
    assert 'value="next"' in first_button
    assert 'value="back"' in form


def test_rating_scale_radios_carry_their_end_labels_in_a_fieldset(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    html = client.get(url).content.decode()
    assert '<legend class="question-text">Hvor fornøyd var du med kontakten?' in html
    assert '<span>1</span><span class="visually-hidden"> – Svært misfornøyd</span>' in html, (
        "the first point's name includes its end label"
    )
    assert '<span>6</span><span class="visually-hidden"> – Svært fornøyd</span>' in html
    assert '<span>0</span><span class="visually-hidden"> – Svært lite sannsynlig</span>' in html


def test_error_summary_names_each_question_and_links_to_its_input(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    html = client.post(url, {"action": "next"}).content.decode()
    start = html.index('id="error-summary"')
    summary = html[start : html.index("</ul>", start)]
    assert (
        '<a href="#in-satisfaction-1">Hvor fornøyd var du med kontakten?: '
        "Dette spørsmålet må besvares.</a>" in summary
    )
    assert '<a href="#in-nps-0">Hvor sannsynlig' in summary
    assert 'id="in-satisfaction-1"' in html
    assert "wait_minutes" not in summary  # optional


def test_ready_to_send_page_shows_the_answers_by_page_with_change_buttons(
    client: Any, wave: Any
) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL)
    html = client.get(url).content.decode()
    assert "Klar til å sende" in html
    review = html[html.index('class="review-page"') :]
    assert "Den siste kontakten" in review
    assert "<dd>Fjordbanken</dd>" in review
    assert "<dd>Delvis</dd>" in review
    assert "<dd>4,5 minutter</dd>" in review  # the respondent's locale
    assert "<dd>Rask og hyggelig.</dd>" in review
    assert 'name="goto" value="2"' in review

    assert client.post(url, {"goto": "2"}).status_code == 302
    page = client.get(url).content.decode()
    assert "Side 3 av 4" in page
    assert 'value="4,5"' in page  # the number comes back as it was typed
    client.post(url, {"goto": "3"})  # forward jumps are not allowed: still page 3
    assert Response.objects.get().page == 2


def test_english_numbers_use_a_decimal_point(client: Any, wave: Any) -> None:
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL)
    client.post(url + "?lang=en", {"goto": "2"})
    assert 'value="4.5"' in client.get(url).content.decode()


def test_a_post_for_a_page_left_behind_changes_nothing(client: Any, wave: Any) -> None:
    """A beacon or a late autosave from page 2 arriving when page 3 is shown must not blank
    page 3's answers (they are not in its form)."""
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    client.post(url, {"satisfaction": "5", "page": "2", "action": "stay"})
    client.post(url, {"company": "fjordbanken", "page": "1", "action": "stay", "beacon": "1"})
    assert Response.objects.get().draft["satisfaction"] == 5


def test_htmx_pages_cost_one_request_each(client: Any, wave: Any) -> None:
    """With JavaScript, "Next" gets the following page in its reply (no redirect and reload);
    submitting tells htmx where the thank-you page is; a beacon gets an empty reply."""
    url = f"/s/{invite(wave)}/"
    first = client.post(url, {**FULL[0], "action": "next", "page": "0"}, **HTMX)
    assert first.status_code == 200
    assert "Side 2 av 4" in first.content.decode()
    refused = client.post(url, {"action": "next", "page": "1"}, **HTMX)
    assert refused.status_code == 200  # htmx swaps only 2xx: the errors are in the page
    assert 'id="error-summary"' in refused.content.decode()
    beacon = client.post(url, {**FULL[1], "action": "stay", "page": "1", "beacon": "1"})
    assert beacon.status_code == 204
    assert Response.objects.get().draft["company"] == "fjordbanken"
    for number, page in enumerate(FULL[1:], start=1):
        client.post(url, {**page, "action": "next", "page": str(number)}, **HTMX)
    done = client.post(url, {"action": "submit"}, **HTMX)
    assert done["HX-Redirect"] == url
    assert Response.objects.get().status == ResponseStatus.SUBMITTED


def test_weighting_age_group_is_the_one_sampling_used_on_the_waves_reference_date(
    client: Any,
) -> None:
    """Born 1996: 28 when the wave started in 2024 (18–29), 30 today (30–44). Weighting must put
    the respondent in the cell the invitation was drawn from, not in today's."""
    CompanyFactory(slug="fjordbanken", name="Fjordbanken")
    wave = WaveFactory(
        starts_on=datetime.date(2024, 9, 2), ends_on=timezone.localdate() + datetime.timedelta(30)
    )
    panelist = PanelistFactory(birth_year=1996)
    invitations_create(wave=wave, panelists=[panelist], stratify_by=["age_group"])
    assert Invitation.objects.get().stratum == "age_group=18-29"
    url = f"/s/{token_for(wave_id=wave.pk, panelist_id=panelist.pk)}/"
    answer_pages(client, url, *FULL)
    assert client.post(url, {"action": "submit"}).status_code == 302
    assert Response.objects.get().age_group == "18-29"


def test_a_company_not_in_the_list_is_written_in_and_counted_apart(client: Any, wave: Any) -> None:
    from surveys.selectors import OtherCompany, other_companies_named

    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, FULL[0])
    page = client.get(url).content.decode()
    assert '<option value="__other__" data-keep>Annet / finner ikke virksomheten</option>' in page
    refused = client.post(url, {**FULL[1], "company": "__other__", "action": "next"})
    assert refused.status_code == 400
    assert "Skriv navnet på virksomheten, eller velg den i listen." in refused.content.decode()
    # A name written with no choice in the list is the "other" answer too.
    answer_pages(client, url, {**FULL[1], "company": "", "company__other": " Lokalbanken "})
    answer_pages(client, url, *FULL[2:])
    review = client.get(url).content.decode()
    assert "<dd>Annet: Lokalbanken</dd>" in review
    client.post(url, {"goto": "1"})
    again = client.get(url).content.decode()
    assert '<option value="__other__" data-keep selected>' in again
    assert 'name="company__other" value="Lokalbanken"' in again
    answer_pages(client, url, {**FULL[1], "company": "__other__", "company__other": "Lokalbanken"})
    answer_pages(client, url, *FULL[2:])
    assert client.post(url, {"action": "submit"}).status_code == 302

    response = Response.objects.get()
    assert response.status == ResponseStatus.SUBMITTED
    assert response.company_id is None  # in no company's figures
    answer = Answer.objects.get(question__key="company")
    assert answer.value_text == "__other__:Lokalbanken"
    assert other_companies_named(wave=wave) == [OtherCompany(name="Lokalbanken", responses=1)]


def test_a_page_costs_one_write_and_no_health_check(client: Any, wave: Any) -> None:
    """Issue 21: "Next" in the browser is one request with one write (the response's draft and
    page), and no "SELECT 1" is spent checking the connection first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"/s/{invite(wave)}/"
    client.post(url, {**FULL[0], "action": "next", "page": "0"}, **HTMX)  # the first answer
    with CaptureQueriesContext(connection) as queries:
        page = client.post(url, {**FULL[1], "action": "next", "page": "1"}, **HTMX)
    assert "Side 3 av 4" in page.content.decode()
    statements = [q["sql"].lstrip().split()[0].upper() for q in queries.captured_queries]
    writes = [s for s in statements if s in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == ["UPDATE"], statements
    assert not [q for q in queries.captured_queries if q["sql"].strip().upper() == "SELECT 1"]
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is False


def shown_on_page(html: str) -> str:
    """What respond.js sends with an autosave, read from the page as a browser parses it: each
    question in #questions, its id and data-shown, a line each."""
    from html.parser import HTMLParser

    class Questions(HTMLParser):
        lines: list[str] = []
        depth = 0  # inside #questions: its children are at depth 1

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if self.depth:
                self.depth += tag != "input" and tag != "br"
                classes = (found.get("class") or "").split()
                if self.depth == 2 and tag == "div" and "question" in classes:
                    self.lines.append(f"{found['id']}={found.get('data-shown') or ''}")
            elif found.get("id") == "questions":
                self.depth = 1

        def handle_endtag(self, tag: str) -> None:
            if self.depth and tag not in {"input", "br"}:
                self.depth -= 1

    parser = Questions()
    parser.lines = []
    parser.feed(html)
    return "\n".join(parser.lines)


def test_an_autosave_sends_the_page_back_only_when_what_it_shows_changes(
    client: Any, wave: Any
) -> None:
    """Issue 21: most autosaves change nothing the page shows, and the reply to those is an empty
    204; when the saved answers open a question (or a choice filter's options, a piped text)
    the reply is the page, for respond.js to show it."""
    url = f"/s/{invite(wave)}/"
    answer_pages(client, url, *FULL[:2])
    page = client.get(url).content.decode()
    shown = shown_on_page(page)
    assert "q-satisfaction=" in shown
    assert "q-must_contact_again" not in shown

    quiet = client.post(
        url,
        {"wait_minutes": "7", "resolved": "yes", "action": "stay", "page": "2", "@shown": shown},
        HTTP_X_AUTOSAVE="1",
    )
    assert quiet.status_code == 204
    assert quiet.content == b""
    assert Response.objects.get().draft["wait_minutes"] == 7

    opening = {"wait_minutes": "8", "resolved": "partly", "action": "stay", "page": "2"}
    opened = client.post(url, {**opening, "@shown": shown}, HTTP_X_AUTOSAVE="1")
    assert opened.status_code == 200
    assert 'id="q-must_contact_again"' in opened.content.decode()
    assert Response.objects.get().draft["wait_minutes"] == 8

    # A browser that sends nothing (an older script) still gets the page.
    unsaid = client.post(url, opening, HTTP_X_AUTOSAVE="1")
    assert unsaid.status_code == 200
    assert 'id="q-must_contact_again"' in unsaid.content.decode()
    # "@shown" is never taken for an answer.
    assert "@shown" not in Response.objects.get().draft


def test_a_respondent_link_is_looked_up_in_one_statement(
    client: Any, wave: Any, django_assert_num_queries: Any
) -> None:
    """The lookup every respondent request starts with: one statement, and the response it
    loads carries every field (none is fetched later)."""
    from surveys.selectors import invitation_for_token_hash
    from surveys.services.responding import token_hash

    token = invite(wave)
    assert invitation_for_token_hash(token_hash(token)) is not None
    assert invitation_for_token_hash(token_hash("not-a-token")) is None
    with django_assert_num_queries(1):
        fresh = invitation_for_token_hash(token_hash(token))
        assert fresh is not None
        assert getattr(fresh, "response", None) is None
        assert getattr(fresh, "submission", None) is None
        assert fresh.wave.status == WaveStatus.OPEN
        assert fresh.wave.questionnaire.updated_at == wave.questionnaire.updated_at

    answer_pages(client, f"/s/{token}/", FULL[0])
    stored = Response.objects.get()
    with django_assert_num_queries(1):
        found = invitation_for_token_hash(token_hash(token))
        assert found is not None
        response = found.response
        for model_field in Response._meta.concrete_fields:
            assert getattr(response, model_field.attname) == getattr(stored, model_field.attname), (
                model_field.name
            )
        assert response.draft == {"contacted_cs": "yes"}
        assert response.wave is found.wave
        assert response.invitation is found
    assert found.pk == Invitation.objects.get().pk
