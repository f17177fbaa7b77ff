"""seed_demo: deterministic, valid and safe to run twice."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from kundeservice.roles import Role, user_has_role
from surveys.models import Company, Industry
from surveys.models.catalog import validate_channels, validate_org_number

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_catalog_and_one_login_per_role() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert Industry.objects.count() >= 8
    assert Company.objects.count() >= 60
    for company in Company.objects.all():
        validate_org_number(company.org_number)
        validate_channels(company.channels)
        assert company.channels
    User = get_user_model()
    for role in Role:
        user = User.objects.get(username=role.value)
        assert user_has_role(user, role)
        assert f"{role.value} / demo-passord" in out.getvalue()


def test_seed_demo_is_deterministic_and_idempotent() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    first = list(
        Company.objects.order_by("org_number").values_list("org_number", "name", "channels")
    )
    call_command("seed_demo", stdout=io.StringIO())
    second = list(
        Company.objects.order_by("org_number").values_list("org_number", "name", "channels")
    )
    assert first == second


def test_seed_demo_refuses_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not Company.objects.exists()


def test_seed_demo_has_a_ksindeks_wave_with_about_5000_responses() -> None:
    from surveys.models import Answer, Response, ResponseStatus, Wave

    call_command("seed_demo", stdout=io.StringIO())
    wave = Wave.objects.get(study__slug="ksindeks", slug="2026")
    submitted = Response.objects.filter(wave=wave, status=ResponseStatus.SUBMITTED)
    assert submitted.count() == 5000
    assert submitted.values("company").distinct().count() >= 60
    channels = set(submitted.values_list("channel", flat=True))
    assert {"phone", "chat", "email", "social"} <= channels
    # Branching held: the follow-up exists only where the matter was not resolved.
    follow_ups = Answer.objects.filter(wave=wave, question__key="must_contact_again")
    assert not follow_ups.filter(response__draft__resolved="yes").exists()
    assert Answer.objects.filter(wave=wave, question__key="satisfaction").count() == 5000


def test_seed_demo_has_an_open_poll_with_its_result(client) -> None:
    from surveys.models import Answer, Wave

    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # a second run adds nothing
    wave = Wave.objects.get(open_slug="foretrukket-kanal")
    assert wave.show_results
    assert Answer.objects.filter(wave=wave, value_text="chat").count() == 96
    page = client.get("/p/foretrukket-kanal/")
    assert page.status_code == 200
    assert "Hvilken kanal foretrekker du når du kontakter kundeservice?" in page.content.decode()


def test_seed_demo_publishes_an_industry_group_and_derived_indicators(
    client, django_capture_on_commit_callbacks
) -> None:
    from surveys.models import ResultSet

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    index = ResultSet.objects.get(is_current=True, wave__study__slug="ksindeks")
    tele = index.rows.get(scope="group", industry_group__slug="tele", measure="q:channel=phone")
    assert 40 < tele.value < 90  # most telecom customers phoned
    loyal = index.rows.get(scope="overall", measure="ind:lojale")
    assert 0 < loyal.value < 100
    assert index.rows.filter(scope="overall", measure="ind:lost-ved-forste-kontakt").exists()
    observed = ResultSet.objects.get(is_current=True, wave__study__slug="kundeserviceprisen")
    assert observed.rows.filter(scope="overall", measure="ind:nei-til-begge").exists()
    page = client.get("/resultater/ksindeks/2026/gruppe/tele/")
    assert page.status_code == 200
    assert "Tele, bredbånd og kabel-TV" in page.content.decode()
