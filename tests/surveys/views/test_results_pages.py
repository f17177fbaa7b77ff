"""Public results pages on the golden dataset: what the public sees, what it never sees,
number formatting, downloads, caching and query budgets; the results API; the staff console."""

import csv
import datetime
import io
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from surveys.models import ResultSet, Wave
from surveys.services.publishing import wave_publish
from tests.factories import UserFactory
from tests.surveys.services.test_aggregation import add_contacts, golden_wave, run

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 15


@pytest.fixture
def published() -> ResultSet:
    wave = golden_wave()
    result_set = run(wave)
    wave_publish(wave=wave, public=True)
    return result_set


def url(name: str, wave: Wave, language: str = "nb", **extra: str) -> str:
    with translation.override(language):
        return reverse(name, kwargs={"study": wave.study.slug, "wave": wave.slug, **extra})


def text(response: Any) -> str:
    return response.content.decode()


def test_bokmal_and_english_urls_and_number_formats(client: Any, published: ResultSet) -> None:
    wave = published.wave
    nb = url("results-company", wave, company="alfa")
    en = url("results-company", wave, "en", company="alfa")
    assert nb.startswith("/resultater/")
    assert "/virksomhet/alfa/" in nb
    assert en.startswith("/en/results/")
    assert "/company/alfa/" in en
    page = text(client.get(nb))
    assert "60,0" in page  # Alfa's score, with a decimal comma
    assert "100,0\u00a0%" in page  # would buy: 2 of 2, N/A left out
    english = text(client.get(en))
    assert "60.0" in english
    assert "Score (0–100)" in english


def test_industry_league_has_shared_ranks_ties_and_suppression(
    client: Any, published: ResultSet
) -> None:
    bank = text(client.get(url("results-industry", published.wave, industry="bank")))
    assert bank.index("Alfa") < bank.index("Beta")
    assert bank.count("statistisk likt") >= 2
    telecom = text(client.get(url("results-industry", published.wave, industry="telefoni")))
    assert "Ikke publisert: 2 svar, færre enn 3." in telecom
    assert "92,5" not in telecom  # Gamma's score is never shown
    gamma = text(client.get(url("results-company", published.wave, company="gamma")))
    assert "92,5" not in gamma
    assert "Ikke publisert" in gamma


def test_overview_and_channel_pages(client: Any, published: ResultSet) -> None:
    overview = text(client.get(url("results-wave", published.wave)))
    assert "65,6" in overview  # overall: 590 / 9
    assert 'role="img"' in overview  # the channel chart, with its table beside it
    assert "Telefon" in overview
    assert "Chat" in overview
    assert "Foreløpig" not in overview
    assert "Endelige resultater" in overview
    phone = client.get(url("results-channel", published.wave, channel="telefon"))
    assert phone.status_code == 200
    assert "61,4" in text(phone)  # 430 / 7
    assert client.get(url("results-channel", published.wave, channel="fax")).status_code == 404


def test_provisional_results_say_so(client: Any) -> None:
    wave = golden_wave()
    run(wave, cutoff=datetime.date(2026, 6, 1))
    wave_publish(wave=wave, public=True)
    page = text(client.get(url("results-wave", wave)))
    assert "foreløpige" in page
    assert "1. juni 2026" in page
    english = text(client.get(url("results-wave", wave, "en")))
    assert "June 1, 2026" in english
    assert "1. June 2026" not in english


def test_csv_and_json_downloads_carry_the_table_and_hide_suppressed_figures(
    client: Any, published: ResultSet
) -> None:
    page = url("results-industry", published.wave, industry="telefoni")
    response = client.get(page, {"download": "league", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert [(r["company"], r["n"], r["value"], r["suppressed"]) for r in rows] == [
        ("Gamma", "2", "", "True")
    ]
    bank = client.get(
        url("results-industry", published.wave, industry="bank"),
        {"download": "league", "format": "json"},
    ).json()
    alfa = bank["rows"][0]
    assert (alfa["company"], alfa["rank"], alfa["statistically_tied"]) == ("Alfa", 1, True)
    assert alfa["value"] == pytest.approx(60)
    assert alfa["ci_low"] == pytest.approx(-8.748697)
    assert client.get(page, {"download": "nope"}).status_code == 404


def test_csv_opens_in_norwegian_excel_rounded_as_published_and_json_keeps_precision(
    client: Any, published: ResultSet
) -> None:
    """Excel with Norwegian settings: a BOM (UTF-8), ";" and a decimal comma; figures rounded
    as the page prints them (not 68.87077234697466), negative ones still numbers; English
    gets "," and a decimal point. JSON keeps every digit."""
    wave = published.wave
    nb = client.get(url("results-industry", wave, industry="bank"), {"download": "league"})
    body = nb.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    alfa = next(r for r in rows if r["company"] == "Alfa")
    assert (alfa["value"], alfa["ci_low"]) == ("60,0", "-8,7")  # −8.748697: a number, not text
    en = client.get(url("results-industry", wave, "en", industry="bank"), {"download": "league"})
    rows = list(csv.DictReader(io.StringIO(en.content.decode("utf-8-sig"))))
    alfa = next(r for r in rows if r["company"] == "Alfa")
    assert (alfa["value"], alfa["ci_low"]) == ("60.0", "-8.7")
    exact = client.get(
        url("results-industry", wave, industry="bank"), {"download": "league", "format": "json"}
    ).json()["rows"][0]
    assert exact["ci_low"] == pytest.approx(-8.748697)


def test_a_company_name_never_runs_as_a_formula_in_the_csv(
    client: Any, published: ResultSet
) -> None:
    from surveys.models import Company

    Company.objects.filter(slug="alfa").update(name='=HYPERLINK("http://evil.example","Klikk")')
    page = url("results-industry", published.wave, industry="bank")
    body = client.get(page, {"download": "league"}).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body), delimiter=";"))
    names = [r["company"] for r in rows]
    assert '\'=HYPERLINK("http://evil.example","Klikk")' in names
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    assert any(r["ci_low"].startswith("-") for r in rows)  # negative figures stay numbers


def test_unpublished_waves_are_invisible_and_publishing_shows_them(
    client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    wave = golden_wave()
    run(wave)
    page = url("results-wave", wave)
    assert client.get(page).status_code == 404
    assert client.get(reverse("api-root") + "results/").json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        wave_publish(wave=wave, public=True)
    assert client.get(page).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        wave_publish(wave=wave, public=False)
    assert client.get(page).status_code == 404  # the cached page is not served after hiding


class CacheStalls(Exception):
    """What a Redis that stops answering raises (a socket timeout)."""


def stall_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    def stalls(*_args: Any, **_kwargs: Any) -> Any:
        raise CacheStalls("timed out")

    backend = type(caches["default"])
    for method in ("get", "set", "delete", "add", "get_many", "set_many", "delete_many"):
        monkeypatch.setattr(backend, method, stalls)


def test_hiding_while_the_cache_stalls_never_leaves_the_page_public(
    client: Any, published: ResultSet, django_capture_on_commit_callbacks: Any
) -> None:
    wave = published.wave
    page = url("results-company", wave, company="alfa")
    download = {"download": "channels", "format": "csv"}
    assert client.get(page).status_code == 200  # both now cached for a day
    assert client.get(page, download).status_code == 200
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        with django_capture_on_commit_callbacks(execute=True):
            wave_publish(wave=wave, public=False)  # succeeds: the database says hidden
        assert client.get(page).status_code == 404  # and nobody reads the cache meanwhile
    # The cache answers again, still holding the pages built while the wave was public.
    assert client.get(page).status_code == 404
    assert client.get(page, download).status_code == 404
    assert client.get(url("results-wave", wave)).status_code == 404


def test_a_cache_hit_rechecks_that_the_wave_is_public(client: Any, published: ResultSet) -> None:
    wave = published.wave
    page = url("results-wave", wave)
    download = {"download": "industries", "format": "csv"}
    assert client.get(page).status_code == 200
    assert client.get(page, download).status_code == 200
    # Hidden behind the services' back: no version moved, the cached pages are still there.
    Wave.objects.filter(pk=wave.pk).update(is_public=False)
    assert client.get(page).status_code == 404
    assert client.get(page, download).status_code == 404


def test_the_public_index_forgets_a_hidden_wave_even_if_the_cache_stalled(
    client: Any, published: ResultSet, django_capture_on_commit_callbacks: Any
) -> None:
    index = reverse("results-index")
    assert published.wave.name in text(client.get(index))
    with pytest.MonkeyPatch.context() as stalled:
        stall_the_cache(stalled)
        with django_capture_on_commit_callbacks(execute=True):
            wave_publish(wave=published.wave, public=False)
    assert published.wave.name not in text(client.get(index))


def test_pages_are_cached_until_a_new_result_set_becomes_current(
    client: Any, published: ResultSet
) -> None:
    page = url("results-company", published.wave, company="beta")
    first = client.get(page)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(page)
    assert again.content == first.content
    # A hit only asks whether the wave is still public and what the visibility version is.
    assert len(queries) == 2, [q["sql"][:120] for q in queries]
    companies = {"beta": published.wave.responses.filter(company__slug="beta").first().company}
    add_contacts(published.wave, companies, {"beta": [(100, "phone", "yes")] * 3})
    run(published.wave)
    assert "77,5" in text(client.get(page))  # (50 + 60 + 55 + 3 × 100) / 6


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("results-wave", {}),
        ("results-industry", {"industry": "bank"}),
        ("results-company", {"company": "alfa"}),
        ("results-channel", {"channel": "telefon"}),
    ],
)
def test_uncached_pages_stay_within_the_query_budget(
    client: Any, published: ResultSet, name: str, extra: dict[str, str]
) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(name, published.wave, **extra))
    assert response.status_code == 200
    assert len(queries) <= QUERY_BUDGET, [q["sql"][:120] for q in queries]


def test_results_api_filters_and_hides_suppressed_figures(
    client: Any, published: ResultSet
) -> None:
    listing = client.get("/api/v1/results/").json()
    assert [r["id"] for r in listing["results"]] == [published.pk]
    rows = client.get(
        f"/api/v1/results/{published.pk}/rows/", {"scope": "company", "measure": "score"}
    ).json()["results"]
    by_company = {r["company"]: r for r in rows}
    assert by_company["alfa"]["rank"] == 1
    assert by_company["alfa"]["statistically_tied"]
    assert by_company["gamma"]["suppressed"]
    assert by_company["gamma"]["value"] is None
    assert by_company["gamma"]["n"] == 2
    bad = client.get(f"/api/v1/results/{published.pk}/rows/", {"channel": "fax"})
    assert bad.status_code == 400
    assert "channel" in bad.json()


def test_staff_start_an_aggregation_and_publish(client: Any) -> None:
    wave = golden_wave()
    client.force_login(UserFactory(roles=["analyst"]))
    page = reverse("staff-wave-results", args=[wave.pk])
    refused = client.post(page, {"action": "publish"})
    assert refused.status_code == 400
    assert "Aggreger bølgen før du publiserer" in text(refused)
    assert not Wave.objects.get(pk=wave.pk).is_public
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        started = client.post(page, {"action": "aggregate", "cutoff": "2026-12-31"})
    assert started.status_code == 302
    result_set = ResultSet.objects.get(wave=wave)
    assert result_set.is_current
    assert result_set.job.status == "done"
    assert client.post(page, {"action": "publish"}).status_code == 302
    assert Wave.objects.get(pk=wave.pk).is_public
    shown = text(client.get(page))
    assert "Resultatene er offentlige." in shown


def test_weighting_targets_must_add_up(client: Any) -> None:
    from tests.factories import WaveFactory

    wave = WaveFactory()
    client.force_login(UserFactory(roles=["analyst"]))
    page = reverse("staff-wave-results", args=[wave.pk])
    data = {"action": "weighting", "trim_min": "0,3", "trim_max": "3", "gender__female": "60"}
    data["gender__male"] = "30"
    bad = client.post(page, data)
    assert bad.status_code == 400
    assert "blir 90" in text(bad)
    assert Wave.objects.get(pk=wave.pk).weight_margins == {}
    data["gender__male"] = "40"
    assert client.post(page, data).status_code == 302
    assert Wave.objects.get(pk=wave.pk).weight_margins == {"gender": {"female": 60.0, "male": 40.0}}


def test_api_publishes_and_creates_observation_waves_with_minimum_n_10(client: Any) -> None:
    from tests.factories import StudyFactory, evaluation_questionnaire

    wave = golden_wave()
    client.force_login(UserFactory(roles=["staff_admin"]))
    refused = client.post(
        f"/api/v1/results/waves/{wave.pk}/publish/", {"public": True}, "application/json"
    )
    assert refused.status_code == 400
    run(wave)
    done = client.post(
        f"/api/v1/results/waves/{wave.pk}/publish/", {"public": True}, "application/json"
    )
    assert done.json() == {"public": True}
    assert client.get(url("results-wave", wave)).status_code == 200
    study = StudyFactory(slug="ksp-2", kind="observation")
    created = client.post(
        "/api/v1/waves/",
        {
            "study": study.slug,
            "slug": "2027",
            "name": "KSP 2027",
            "questionnaire": evaluation_questionnaire().pk,
            "starts_on": "2027-01-04",
            "ends_on": "2027-04-30",
            "is_public": True,
        },
        "application/json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["minimum_n"] == 10
    assert created.json()["is_public"] is False  # publishing is its own step


def test_editors_find_every_wave_and_its_results_from_the_console(
    client: Any, published: ResultSet
) -> None:
    from tests.factories import WaveFactory

    unaggregated = WaveFactory(name="Bølge uten resultater")
    client.force_login(UserFactory(roles=["editor"]))
    dashboard = text(client.get(reverse("staff-dashboard")))
    assert reverse("staff-results-list") in dashboard
    with CaptureQueriesContext(connection) as queries:
        listing = text(client.get(reverse("staff-results-list")))
    assert len(queries) <= 6
    # Editors preview; the page where results are run is the analysts'.
    assert url("results-wave", published.wave) in listing
    assert reverse("staff-wave-results", args=[published.wave_id]) not in listing
    assert "Endelig, til og med 31.12.2026, 9 besvarelser" in " ".join(listing.split())
    assert unaggregated.name in listing
    assert "Ikke aggregert ennå" in listing


def test_only_the_linked_urls_are_cached(
    client: Any, published: ResultSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kundeservice import caching as views

    stored: list[str] = []
    real = views.safe_cache_set

    def spy(key: str, value: Any, timeout: int | None) -> None:
        stored.append(key)
        real(key, value, timeout)

    monkeypatch.setattr(views, "safe_cache_set", spy)
    page = url("results-company", published.wave, company="alfa")
    client.get(page)
    client.get(page, {"download": "channels", "format": "csv"})
    assert len(stored) == 2
    for n in range(5):
        assert client.get(page, {"utm": str(n)}).status_code == 200
    assert len(stored) == 2


def test_weighting_targets_that_cannot_be_met_fail_the_run_with_a_message() -> None:
    from tests.factories import WaveFactory, ksindeks_questionnaire
    from tests.surveys.services.test_aggregation import start

    wave = WaveFactory(
        questionnaire=ksindeks_questionnaire(),
        weight_margins={
            "gender": {"female": 90, "male": 10},
            "age_group": {"18-29": 90, "60+": 10},
        },
    )
    from django.utils import timezone

    from surveys.models import Response

    # Every woman is 60+ and every man 18–29: 90 % women and 90 % aged 18–29 cannot both hold.
    for gender, age in [("female", "60+")] * 5 + [("male", "18-29")] * 5:
        Response.objects.create(
            wave=wave,
            source="panel",
            status="submitted",
            submitted_at=timezone.now(),
            gender=gender,
            age_group=age,
            region="oslo",
        )
    result_set = start(wave)
    result_set.refresh_from_db()
    assert result_set.status == "failed"
    assert not result_set.is_current
    assert "Vektingsmålene passer ikke" in result_set.error
    assert "Vektingsmålene passer ikke" in result_set.job.message


@pytest.mark.parametrize("role", ["analyst", "staff_admin"])
def test_the_staff_results_page_stays_within_its_query_budget(
    client: Any, published: ResultSet, role: str
) -> None:
    client.force_login(UserFactory(roles=[role]))
    for _run in range(3):  # more runs must not mean more queries
        run(published.wave)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("staff-wave-results", args=[published.wave_id]))
    assert page.status_code == 200
    assert len(queries) <= 12, [q["sql"][:100] for q in queries]


def test_bad_staff_input_gets_a_message_and_changes_nothing(
    client: Any, published: ResultSet
) -> None:
    client.force_login(UserFactory(roles=["analyst"]))
    page = reverse("staff-wave-results", args=[published.wave_id])
    before = ResultSet.objects.count()
    for data in (
        {"action": "aggregate", "cutoff": "not a date"},
        {"action": "aggregate", "cutoff": "2020-01-01"},
        {"action": "shout"},
    ):
        response = client.post(page, data)
        assert response.status_code == 400
    assert "før bølgen starter" in text(
        client.post(page, data | {"action": "aggregate", "cutoff": "2020-01-01"})
    )
    assert ResultSet.objects.count() == before


def test_share_rows_name_their_question(client: Any, published: ResultSet) -> None:
    """A company's question-by-question table names the question beside each answer's share
    (a bare "Ja" could answer any question; it did)."""
    page = url("results-company", published.wave, company="alfa")
    assert "Ville du handlet her? – Ja" in text(client.get(page))
    download = client.get(page, {"download": "questions", "format": "csv"})
    assert "Ville du handlet her? – Ja" in text(download)


def test_the_sitemap_lists_public_results_only(client: Any, published: ResultSet) -> None:
    page = url("results-wave", published.wave)
    assert page in client.get("/sitemap.xml").content.decode()
    wave_publish(wave=published.wave, public=False)
    assert page not in client.get("/sitemap.xml").content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_aggregation_that_finished_in_the_request_says_so(client: Any) -> None:
    """Without Redis the task runs inside the request (on commit, as in production): the page
    shows it finished, not "started" (which nothing would ever follow)."""
    wave = golden_wave()
    client.force_login(UserFactory(roles=["analyst"]))
    page = reverse("staff-wave-results", args=[wave.pk])
    response = client.post(page, {"action": "aggregate", "cutoff": "2026-12-31"}, follow=True)
    html = text(response)
    assert "Aggregeringen er ferdig." in html
    assert "har startet" not in html


def test_a_job_still_queued_is_announced_as_started(rf: Any) -> None:
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage

    from kundeservice.jobs import job_announce
    from kundeservice.models import Job

    request = rf.post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    job_announce(request, Job.objects.create(kind="x"), started="Started.", finished="Done.")
    failed = Job.objects.create(kind="x", status="failed", message="SMTP refused")
    job_announce(request, failed, started="Started.", finished="Done.")
    assert [str(m) for m in get_messages(request)] == ["Started.", "Det mislyktes: SMTP refused"]
