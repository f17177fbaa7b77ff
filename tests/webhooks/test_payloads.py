"""The survey events: emitted where the change happens, in its transaction, and carrying
nothing a receiver could not read through the API with the least role that reads the object
there (a response: a panel manager; published results: anyone; hidden ones: an editor)."""

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from kundeservice.roles import Role
from surveys.evaluation import clean_answers
from surveys.models import Response, ResponseStatus, ResultSet
from surveys.selectors import questionnaire_structure
from surveys.services.publishing import wave_publish
from surveys.services.responding import page_save, response_for_token, response_submit
from surveys.services.review import report_approve
from surveys.services.submissions import submission_accept, submissions_expand
from tests.factories import (
    CompanyFactory,
    PanelistFactory,
    UserFactory,
    WaveFactory,
    aggregated_wave,
    invite,
    submitted_report,
)
from tests.surveys.api.test_respond_submit import ANSWERS
from webhooks.models import WebhookEvent
from webhooks.registry import EVENT_TYPES, event_types

pytestmark = pytest.mark.django_db

#: What the panel data holds about a person, and must never leave in a payload.
PERSONAL = ["@example", "female", "oslo", "1970", "Rask og hyggelig"]


def payloads(event: str) -> list[dict[str, Any]]:
    return [json.loads(e.body) for e in WebhookEvent.objects.filter(type=event).order_by("id")]


def api_as(role: str | None, url: str) -> dict[str, Any]:
    client = APIClient()
    if role is not None:
        client.force_authenticate(UserFactory(roles=[role]))
    answer = client.get(url)
    assert answer.status_code == 200, (role, url, answer.status_code)
    return dict(answer.json())


def assert_readable(data: dict[str, Any], api: dict[str, Any]) -> None:
    """Every field but the links is in the API's answer, with the same value."""
    fields = {k: v for k, v in data.items() if k != "links"}
    assert fields == {k: api[k] for k in fields}


def assert_nothing_personal(body: dict[str, Any]) -> None:
    text = json.dumps(body)
    for fact in PERSONAL:
        assert fact not in text


def test_the_registry_holds_the_survey_events() -> None:
    assert {e.name for e in event_types()} >= {
        "response.saved",
        "wave.results_published",
        "wave.results_hidden",
        "episode.published",
        "episode.withdrawn",
    }
    for event in event_types():
        assert event.version >= 1
        assert str(event.description)
    assert "webhook.test" in EVENT_TYPES  # registered, but not one to subscribe to
    assert "webhook.test" not in {e.name for e in event_types()}


def test_a_browser_submit_emits_response_saved_readable_by_a_panel_manager() -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    token = invite(wave, PanelistFactory(email="kari@example.no", gender="female", region="oslo"))
    response = response_for_token(token=token)
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    cleaned, errors = clean_answers(structure, ANSWERS)
    assert not errors
    response_submit(response_id=response.pk, structure=structure, answers=cleaned)
    [body] = payloads("response.saved")
    assert body["type"] == "response.saved"
    assert body["version"] == 1
    assert body["timestamp"].endswith("Z")
    data = body["data"]
    assert (data["id"], data["status"], data["company"]) == (
        response.pk,
        "submitted",
        "fjordbanken",
    )
    api = api_as(
        Role.PANEL_MANAGER, data["links"]["response"].removeprefix("http://127.0.0.1:8000")
    )
    assert_readable(data, api)
    assert_nothing_personal(body)
    event = WebhookEvent.objects.get()
    assert set(event.scopes) == {f"wave:{wave.pk}", f"study:{wave.study_id}"}


def test_a_screened_out_respondent_is_no_event() -> None:
    wave = WaveFactory()
    response = response_for_token(token=invite(wave))
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    page_save(
        response=response, structure=structure, data={"contacted_cs": ["no"]}, direction="next"
    )
    assert Response.objects.get().status == ResponseStatus.SCREENED_OUT
    assert not WebhookEvent.objects.exists()


def test_the_api_path_emits_in_the_worker_one_event_per_response(
    django_assert_max_num_queries: Any,
) -> None:
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    tokens = [invite(wave) for _ in range(5)]
    for token in tokens:
        submission_accept(token=token, answers=ANSWERS)
    assert not WebhookEvent.objects.exists()  # the request wrote none
    with django_assert_max_num_queries(20):  # the same for 5 responses as for 500
        submissions_expand()
    saved = payloads("response.saved")
    assert sorted(b["data"]["id"] for b in saved) == sorted(
        Response.objects.values_list("pk", flat=True)
    )
    assert len({e.webhook_id for e in WebhookEvent.objects.all()}) == 5
    assert_readable(
        saved[0]["data"], api_as(Role.PANEL_MANAGER, f"/api/v1/responses/{saved[0]['data']['id']}/")
    )


def test_an_observer_report_is_saved_when_approved_not_when_submitted() -> None:
    assignment = submitted_report()
    assert not WebhookEvent.objects.exists()
    report_approve(assignment=assignment, reviewer=UserFactory(roles=[Role.QA_REVIEWER]))
    [body] = payloads("response.saved")
    assert body["data"]["status"] == "approved"
    assert body["data"]["source"] == "observer"
    assert body["data"]["company"] == assignment.company.slug
    api = api_as(Role.PANEL_MANAGER, f"/api/v1/responses/{body['data']['id']}/")
    assert_readable(body["data"], api)
    assert assignment.observer.user.username not in json.dumps(body)
    report_approve(assignment=assignment, reviewer=UserFactory(roles=[Role.QA_REVIEWER]))
    assert WebhookEvent.objects.count() == 1  # approving again changes nothing


def test_publishing_and_hiding_emit_once_per_change_readable_by_the_least_role() -> None:
    result_set: ResultSet = aggregated_wave(public=False)
    wave = result_set.wave
    wave_publish(wave=wave, public=True)
    wave_publish(wave=wave, public=True)  # a repeat is no change
    [published] = payloads("wave.results_published")
    assert published["data"]["id"] == result_set.pk
    assert_readable(published["data"], api_as(None, f"/api/v1/results/{result_set.pk}/"))
    wave_publish(wave=wave, public=False)
    [hidden] = payloads("wave.results_hidden")
    assert hidden["data"]["public"] is False
    assert_readable(hidden["data"], api_as(Role.EDITOR, f"/api/v1/results/{result_set.pk}/"))
    assert APIClient().get(f"/api/v1/results/{result_set.pk}/").status_code == 404
    assert set(WebhookEvent.objects.values_list("type", flat=True)) == {
        "wave.results_published",
        "wave.results_hidden",
    }


def test_new_figures_on_a_public_wave_are_published_results_and_on_a_hidden_one_nothing() -> None:
    from surveys.services.aggregation import aggregation_run

    first: ResultSet = aggregated_wave(public=True)
    rerun = ResultSet.objects.create(wave=first.wave, cutoff=first.cutoff, is_final=True)
    aggregation_run(result_set_id=rerun.pk)
    assert [p["data"]["id"] for p in payloads("wave.results_published")] == [first.pk, rerun.pk]
    latest = payloads("wave.results_published")[-1]["data"]
    assert_readable(latest, api_as(None, f"/api/v1/results/{rerun.pk}/"))

    aggregated_wave(public=False)
    assert len(payloads("wave.results_published")) == 2


def test_an_episode_is_announced_when_published_and_when_withdrawn_as_anyone_reads_it() -> None:
    from surveys.services.episodes import episode_withdraw
    from tests.surveys.services.test_aggregation import golden_wave
    from tests.surveys.services.test_episodes import published

    episode = published(golden_wave())
    [announced] = payloads("episode.published")
    assert announced["data"]["status"] == "published"
    assert announced["data"]["links"]["page"].endswith(f"/{episode.number}/")
    assert_readable(announced["data"], api_as(None, f"/api/v1/episodes/{episode.pk}/"))

    episode_withdraw(episode=episode, reason="Feil i tallgrunnlaget.")
    [withdrawn] = payloads("episode.withdrawn")
    assert withdrawn["data"]["withdrawn_reason"] == "Feil i tallgrunnlaget."
    assert_readable(withdrawn["data"], api_as(None, f"/api/v1/episodes/{episode.pk}/"))
