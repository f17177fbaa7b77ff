"""Open polls at /p/<slug>/ with the Django test client: once per browser, rate-limited, results.

Texts are checked on the English pages (/en/p/…), whose source strings are the English ones.
"""

import copy
import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone, translation

from surveys.models import Answer, Response, ResponseSource, ResponseStatus, WaveStatus
from surveys.selectors import poll_results, questionnaire_structure
from surveys.services.polls import browser_key_new, poll_response_start
from surveys.services.questionnaires import questionnaire_create
from surveys.views.poll import COOKIE
from tests.factories import poll_wave

pytestmark = pytest.mark.django_db

CHANNELS = [
    {"value": "chat", "label": "Chat", "label_en": "Chat"},
    {"value": "phone", "label": "Telefon", "label_en": "Phone"},
    {"value": "email", "label": "E-post", "label_en": "E-mail"},
]
SPEC: dict[str, Any] = {
    "slug": "testavstemning",
    "kind": "poll",
    "title": "Kanalavstemning",
    "title_en": "Channel poll",
    "sections": [
        {
            "key": "poll",
            "title": "Kanaler",
            "title_en": "Channels",
            "questions": [
                {
                    "key": "preferred",
                    "type": "single_choice",
                    "text": "Hvilken kanal foretrekker du?",
                    "text_en": "Which channel do you prefer?",
                    "options": CHANNELS,
                },
                {
                    "key": "used",
                    "type": "multiple_choice",
                    "text": "Hvilke kanaler har du brukt?",
                    "text_en": "Which channels have you used?",
                    "options": CHANNELS,
                },
                {
                    "key": "happy",
                    "type": "yes_no",
                    "text": "Er du fornøyd med kundeservice?",
                    "text_en": "Are you happy with customer service?",
                },
                {
                    "key": "why_not",
                    "type": "text",
                    "required": False,
                    "text": "Hvorfor ikke?",
                    "text_en": "Why not?",
                    "relevant": {"q": "happy", "in": ["no"]},
                },
                {
                    "key": "score",
                    "type": "rating",
                    "scale": [1, 5],
                    "text": "Hvor godt liker du chat?",
                    "text_en": "How much do you like chat?",
                },
            ],
        },
    ],
}
ANSWER = {"preferred": "chat", "used": ["chat", "phone"], "happy": "yes", "score": "4"}
URL = "/en/p/kanal/"


@pytest.fixture
def wave() -> Any:
    return poll_wave(
        open_slug="kanal", show_results=True, questionnaire=questionnaire_create(spec=SPEC)
    )


def answer(client: Any, url: str = URL, **answers: Any) -> Any:
    """Answer the poll's one page and submit; returns the submit's redirect."""
    page = client.post(url, {**(answers or ANSWER), "action": "next"})
    assert page.status_code == 302, page.content.decode()[:2000]
    return client.post(url, {"action": "submit"})


def test_a_browser_answers_once_and_then_sees_it_has_answered(client: Any, wave: Any) -> None:
    first = client.get(URL)
    assert first.status_code == 200
    assert "Which channel do you prefer?" in first.content.decode()
    cookie = client.cookies[COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert not Response.objects.exists()  # looking writes nothing

    sent = answer(client)
    assert sent.status_code == 302
    assert sent["Location"] == f"{URL}?sent=1"
    thanks = client.get(sent["Location"]).content.decode()
    assert "Thank you!" in thanks

    response = Response.objects.get()
    assert response.source == ResponseSource.OPEN_LINK
    assert response.status == ResponseStatus.SUBMITTED
    assert response.language == "en"
    assert re.fullmatch(r"[0-9a-f]{64}", response.browser_key)
    assert response.browser_key not in cookie.value  # only a keyed hash is stored
    assert {a.question.key: a.value_text for a in Answer.objects.select_related("question")}[
        "preferred"
    ] == "chat"

    again = client.get(URL)
    assert again.status_code == 200
    assert "You have already answered this poll" in again.content.decode()
    assert client.post(URL, {**ANSWER, "action": "next"}).status_code == 200
    assert client.post(URL, {"action": "submit"}).status_code == 200
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 4  # preferred, used, happy, score: nothing twice


def test_the_draft_is_resumed_in_the_same_browser(client: Any, wave: Any) -> None:
    client.post(URL, {"preferred": "phone", "action": "stay"}, HTTP_HX_REQUEST="true")
    page = client.get(URL).content.decode()
    assert 'value="phone" checked' in page
    assert Response.objects.get().status == ResponseStatus.DRAFT


def test_a_missing_or_tampered_cookie_makes_a_new_browser(client: Any, wave: Any) -> None:
    answer(client)
    first_key = client.cookies[COOKIE].value

    client.cookies[COOKIE] = first_key[:-3] + "xyz"  # a forged signature
    page = client.get(URL)
    assert page.status_code == 200
    assert "Which channel do you prefer?" in page.content.decode()
    assert client.cookies[COOKIE].value not in {first_key, first_key[:-3] + "xyz"}

    fresh = Client()
    assert fresh.post(URL, {**ANSWER, "action": "next"}).status_code == 302  # no cookie at all
    assert COOKIE in fresh.cookies
    assert Response.objects.count() == 2
    assert Response.objects.filter(status=ResponseStatus.DRAFT).count() == 1


def test_two_tabs_starting_at_once_end_with_one_response(
    client: Any, wave: Any, monkeypatch: Any
) -> None:
    key = browser_key_new()
    first = poll_response_start(wave=wave, browser_key=key, language="nb")
    second = poll_response_start(wave=wave, browser_key=key, language="nb")
    assert first.pk == second.pk

    # Both tabs looked before either had created the response.
    client.get(URL)
    monkeypatch.setattr("surveys.views.poll.poll_response_for_browser", lambda **kw: None)
    assert client.post(URL, {"preferred": "chat", "action": "stay"}).status_code == 302
    assert client.post(URL, {"preferred": "email", "action": "stay"}).status_code == 302
    assert Response.objects.count() == 2  # the one above and this browser's
    assert Response.objects.filter(draft__preferred="email").count() == 1


def test_branching_is_applied(client: Any, wave: Any) -> None:
    answer(client, **{**ANSWER, "happy": "yes", "why_not": "Skjult spørsmål"})
    unhappy = Client()
    answer(unhappy, **{**ANSWER, "happy": "no", "why_not": "Lang ventetid"})
    stored = Answer.objects.filter(question__key="why_not")
    assert list(stored.values_list("value_text", flat=True)) == ["Lang ventetid"]


def test_unknown_and_closed_polls_get_clear_pages(client: Any, wave: Any) -> None:
    unknown = client.get("/en/p/finnes-ikke/")
    assert unknown.status_code == 404
    assert "Poll not found" in unknown.content.decode()
    assert client.get("/p/finnes-ikke/").status_code == 404

    today = timezone.localdate()
    closed_ways = [
        {"status": WaveStatus.CLOSED},
        {"status": WaveStatus.DRAFT},
        {"ends_on": today - datetime.timedelta(days=1)},
        {"starts_on": today + datetime.timedelta(days=1), "ends_on": today + datetime.timedelta(9)},
    ]
    for change in closed_ways:
        other = poll_wave(**change)
        page = client.get(f"/en/p/{other.open_slug}/")
        assert page.status_code == 410, change
        assert "The poll is closed" in page.content.decode()
        closed = client.post(f"/en/p/{other.open_slug}/", {**ANSWER, "action": "next"})
        assert closed.status_code == 410
    assert not Response.objects.exists()


def test_a_closed_poll_still_tells_those_who_answered(client: Any, wave: Any) -> None:
    answer(client)
    type(wave).objects.filter(pk=wave.pk).update(status=WaveStatus.CLOSED)
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "You have already answered this poll" in html
    assert "The result</h2>" in html


def test_over_the_rate_limit_nothing_is_written(client: Any, wave: Any, settings: Any) -> None:
    settings.POLL_RATE = "2/h"
    for _ in range(2):
        assert answer(Client()).status_code == 302
    late = Client()
    refused = late.post(URL, {**ANSWER, "action": "next"})
    assert refused.status_code == 429
    assert "Too many answers right now" in refused.content.decode()
    assert Response.objects.count() == 2
    # Another address has its own allowance.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert answer(other).status_code == 302
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 3


def test_submits_are_rate_limited_too(client: Any, wave: Any, settings: Any) -> None:
    settings.POLL_RATE = "2/h"
    client.post(URL, {"preferred": "chat", "action": "stay"})  # starts the response
    for _ in range(2):  # incomplete submits count
        assert client.post(URL, {"action": "submit"}).status_code == 400
    client.post(URL, {**ANSWER, "action": "next"})
    refused = client.post(URL, {"action": "submit"})
    assert refused.status_code == 429
    assert Response.objects.get().status == ResponseStatus.DRAFT
    assert not Answer.objects.exists()


def test_a_forwarded_for_header_counts_only_behind_a_trusted_proxy(
    client: Any, wave: Any, settings: Any
) -> None:
    settings.POLL_RATE = "1/h"
    spoofing = [Client(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}") for n in (1, 2)]
    assert spoofing[0].post(URL, {**ANSWER, "action": "next"}).status_code == 302
    assert spoofing[1].post(URL, {**ANSWER, "action": "next"}).status_code == 429

    settings.TRUSTED_PROXY_COUNT = 1
    settings.RATELIMIT_IP_META_KEY = "kundeservice.ratelimits.client_ip"
    behind_proxy = [Client(HTTP_X_FORWARDED_FOR=f"6.6.6.6, 203.0.113.{n}") for n in (3, 4)]
    for browser in behind_proxy:
        assert browser.post(URL, {**ANSWER, "action": "next"}).status_code == 302


def test_the_result_counts_submitted_valid_responses(client: Any, wave: Any) -> None:
    votes = [
        {**ANSWER, "preferred": "chat", "used": ["chat"], "score": "5"},
        {**ANSWER, "preferred": "chat", "used": ["chat", "email"], "score": "4"},
        {**ANSWER, "preferred": "phone", "used": ["phone"], "happy": "no", "score": "4"},
        {**ANSWER, "preferred": "email", "used": ["email"], "score": "1"},
    ]
    for vote in votes:
        answer(Client(), **vote)
    Response.objects.filter(draft__preferred="email").update(invalid_reason="Test")
    Client().post(URL, {**ANSWER, "action": "next"})  # a draft: not counted

    sent = answer(client, **{**ANSWER, "preferred": "phone", "used": ["phone", "chat"]})
    html = client.get(sent["Location"]).content.decode()
    assert "Based on 4 answers." in html
    assert '<caption>Which channel do you prefer? <span class="caption-n">(n = 4)' in html

    with translation.override("en"):
        structure = questionnaire_structure(questionnaire=wave.questionnaire)
        result = poll_results(wave=wave, structure=structure)
    by_key = {q.question.key: q for q in result.questions}
    assert set(by_key) == {"preferred", "used", "happy", "score"}
    rows = {r.label: (r.count, round(r.percent)) for r in by_key["preferred"].rows}
    assert rows == {"Chat": (2, 50), "Phone": (2, 50), "E-mail": (0, 0)}
    used = {r.label: (r.count, round(r.percent)) for r in by_key["used"].rows}
    assert by_key["used"].n == 4
    assert used == {"Chat": (3, 75), "Phone": (2, 50), "E-mail": (1, 25)}
    score = [(r.label, r.count) for r in by_key["score"].rows]
    assert score == [("1", 0), ("2", 0), ("3", 0), ("4", 3), ("5", 1)]
    assert [(r.label, r.count) for r in by_key["happy"].rows] == [("Yes", 3), ("No", 1)]


def test_the_cached_result_includes_the_viewers_own_answer(client: Any, wave: Any) -> None:
    first = Client()
    assert "Based on 1 answer." in first.get(answer(first)["Location"]).content.decode()
    assert "Based on 2 answers." in client.get(answer(client)["Location"]).content.decode()


def test_without_show_results_a_thank_you_page(client: Any, wave: Any) -> None:
    type(wave).objects.filter(pk=wave.pk).update(show_results=False)
    html = client.get(answer(client)["Location"]).content.decode()
    assert "Thank you!" in html
    assert "<table" not in html


def test_norwegian_first_english_second(client: Any, wave: Any) -> None:
    norwegian = client.get("/p/kanal/")
    assert 'lang="nb"' in norwegian.content.decode()
    assert "Hvilken kanal foretrekker du?" in norwegian.content.decode()
    assert 'href="/en/p/kanal/"' in norwegian.content.decode()
    english = client.get(URL)
    assert "Which channel do you prefer?" in english.content.decode()


def test_every_poll_page_stays_within_ten_queries(
    client: Any, wave: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.post(URL, {**ANSWER, "action": "next"}).status_code == 302
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.post(URL, {"action": "submit"}).status_code == 302
    with django_assert_max_num_queries(10):
        assert client.get(f"{URL}?sent=1").status_code == 200


def test_the_demo_spec_is_a_valid_poll() -> None:
    from surveys.specs import CHANNEL_POLL

    questionnaire = questionnaire_create(spec=copy.deepcopy(CHANNEL_POLL))
    assert questionnaire.questions.count() == 1


def test_the_last_page_answers_and_sends_in_one_step(client: Any, wave: Any) -> None:
    page = client.get(URL)
    assert 'value="finish"' in page.content.decode()
    sent = client.post(URL, {**ANSWER, "action": "finish"})
    assert sent.status_code == 302
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1


def test_sending_without_an_answer_shows_the_error_and_sends_nothing(
    client: Any, wave: Any
) -> None:
    refused = client.post(URL, {"action": "finish"})
    assert refused.status_code == 400
    assert not Response.objects.filter(status=ResponseStatus.SUBMITTED).exists()
