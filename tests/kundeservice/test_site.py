"""The site shell: pages in both languages, query budgets, offline API docs, password reset."""

import re
from typing import Any

import pytest
from django.core import mail

from tests.factories import CompanyFactory, IndustryFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_home_page_in_norwegian_and_english_within_budget(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        CompanyFactory.create_batch(3, industry=IndustryFactory(slug=f"b{n}", name=f"Bransje {n}"))
    with django_assert_max_num_queries(4):
        nb = client.get("/")
    assert nb.status_code == 200
    assert '<html lang="nb">' in nb.content.decode()
    assert "Kundeservice i Norge, målt" in nb.content.decode()
    assert "3 virksomheter" in nb.content.decode()
    en = client.get("/en/")
    assert '<html lang="en">' in en.content.decode()
    assert "3 companies" in en.content.decode()


def test_home_page_is_the_front_door_to_results_industries_channels_and_the_poll(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    """The latest published figures with n and intervals, each industry linked to its results,
    the channels compared, and the open poll (linked from nowhere before)."""
    from surveys.services.publishing import wave_publish
    from tests.factories import poll_wave
    from tests.surveys.services.test_aggregation import golden_wave, run

    wave = golden_wave()
    run(wave)
    wave_publish(wave=wave, public=True)
    poll = poll_wave()
    with django_assert_max_num_queries(12):
        html = client.get("/").content.decode()
    base = f"/resultater/{wave.study.slug}/{wave.slug}/"
    assert f'href="{base}"' in html
    assert "65,6" in html  # the overall score
    assert "95 %-intervall" in html
    assert "n = 9" in html
    assert f'href="{base}bransje/bank/"' in html  # the industry card is a link
    assert f'href="{base}#channels-title"' in html
    assert f'href="{base}kanal/telefon/"' in html
    assert f'href="/p/{poll.open_slug}/"' in html
    english = client.get("/en/").content.decode()
    assert f'href="/en/results/{wave.study.slug}/{wave.slug}/industry/bank/"' in english
    assert "Latest results" in english


def test_home_page_shows_no_unpublished_figures(client: Any) -> None:
    from tests.surveys.services.test_aggregation import golden_wave, run

    wave = golden_wave()
    run(wave)
    html = client.get("/").content.decode()
    assert "65,6" not in html
    assert "/resultater/" + wave.study.slug not in html


def test_language_links_point_to_the_same_page_in_the_other_language(client: Any) -> None:
    html = client.get("/konto/logg-inn/").content.decode()
    assert 'href="/en/account/login/"' in html
    html = client.get("/en/account/login/").content.decode()
    assert 'href="/konto/logg-inn/"' in html


def test_api_docs_are_served_without_a_cdn(client: Any) -> None:
    html = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if u.startswith("http")]
    assert external == []


def test_unknown_page_gets_the_sites_404(client: Any) -> None:
    response = client.get("/finnes-ikke/")
    assert response.status_code == 404
    assert "Fant ikke siden" in response.content.decode()


def test_password_reset_sends_a_working_link(client: Any) -> None:
    user = UserFactory(email="kari@example.no")
    response = client.post("/konto/nytt-passord/", {"email": "kari@example.no"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body)
    assert link
    form = client.get(link.group(1), follow=True)
    assert "Velg et nytt passord" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "et-nytt-langt-passord-42", "new_password2": "et-nytt-langt-passord-42"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("et-nytt-langt-passord-42")


def test_login_failure_is_explained_in_norwegian(client: Any) -> None:
    UserFactory(username="kari")
    response = client.post("/konto/logg-inn/", {"username": "kari", "password": "feil"})
    assert response.status_code == 200
    assert "Rett opp følgende" in response.content.decode()


def test_admin_company_list_loads_for_a_superuser(
    client: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    CompanyFactory.create_batch(10)
    with django_assert_max_num_queries(12):
        assert client.get("/admin/surveys/company/").status_code == 200
    assert client.get(f"/admin/surveys/company/{CompanyFactory().pk}/change/").status_code == 200


def test_favicon_is_found_not_a_404(client: Any) -> None:
    html = client.get("/").content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert icon
    assert client.get(icon.group(1)).status_code == 200
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301
    assert redirect["Location"] == icon.group(1)


def test_a_403_logs_one_line_without_a_traceback(client: Any) -> None:
    """Django logs every 403 with the PermissionDenied traceback; the site keeps one line."""
    import logging

    client.force_login(UserFactory())
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    logging.getLogger().addHandler(handler)
    try:
        assert client.get("/staff/").status_code == 403
    finally:
        logging.getLogger().removeHandler(handler)
    forbidden = [r for r in records if r.name == "django.request"]
    assert len(forbidden) == 1
    assert "Forbidden" in forbidden[0].getMessage()
    assert forbidden[0].exc_info is None
    assert "Traceback" not in logging.Formatter().format(forbidden[0])


def test_development_mails_link_to_the_address_the_site_is_served_on(
    client: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """``make run HOST=0.0.0.0``, opened from a phone as http://192.168.1.20:8000: the
    subscription mail links there, not to http://127.0.0.1:8000."""
    settings.DEBUG = True
    settings.SITE_URL_FROM_REQUEST = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/temperatur/abonner/",
            {"email": "kari@example.no", "language": "nb"},
            HTTP_HOST="192.168.1.20:8000",
        )
    assert "http://192.168.1.20:8000/temperatur/" in mail.outbox[0].body


def test_site_url_from_the_environment_is_kept(
    client: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.DEBUG = True
    settings.SITE_URL_FROM_REQUEST = False
    settings.SITE_URL = "https://kundeservice.example"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/temperatur/abonner/", {"email": "kari@example.no", "language": "nb"})
    assert "https://kundeservice.example/temperatur/" in mail.outbox[0].body


def test_pages_without_the_switcher_do_not_work_out_its_links(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The language links cost a resolve and a reverse a language on every page; a respondent's
    page shows its own (?lang=) links and does not pay for them."""
    from kundeservice import context_processors
    from tests.factories import WaveFactory, invite

    calls: list[str] = []
    real = context_processors.translate_url

    def counted(path: str, code: str) -> str:
        calls.append(code)
        return real(path, code)

    monkeypatch.setattr(context_processors, "translate_url", counted)
    respondent = client.get(f"/s/{invite(WaveFactory())}/").content.decode()
    assert 'href="?lang=en"' in respondent
    assert calls == []
    html = client.get("/konto/logg-inn/").content.decode()
    assert 'href="/en/account/login/"' in html
    assert calls == ["nb", "en"]
