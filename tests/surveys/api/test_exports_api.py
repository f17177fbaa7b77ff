"""Exports through the API: start one (202 with the job), follow it, download the file."""

from pathlib import Path
from typing import Any

import pyreadstat
import pytest
from rest_framework.test import APIClient

from kundeservice.models import Job
from kundeservice.roles import Role
from surveys.services.exports import EXPORT_JOB
from tests.factories import UserFactory, WaveFactory
from tests.surveys.services.test_exports import wave_with_responses

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def staff() -> APIClient:
    client = APIClient()
    client.force_authenticate(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_start_follow_and_download_an_spss_export(
    staff: APIClient, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    wave = wave_with_responses()
    with django_capture_on_commit_callbacks(execute=True):
        started = staff.post(f"/api/v1/waves/{wave.pk}/export/", {"format": "sav"}, format="json")
    assert started.status_code == 202, started.json()
    job = started.json()
    assert (job["wave"], job["format"], job["include_screened_out"]) == (wave.pk, "sav", False)
    assert started["Location"].endswith(f"/api/v1/exports/{job['id']}/")

    status = staff.get(f"/api/v1/exports/{job['id']}/").json()
    assert (status["status"], status["percent"], status["rows"]) == ("done", 100, 2)
    assert status["download"].endswith(f"/api/v1/exports/{job['id']}/download/")

    download = staff.get(f"/api/v1/exports/{job['id']}/download/")
    assert download.status_code == 200
    saved = tmp_path / "api.sav"
    saved.write_bytes(b"".join(download.streaming_content))
    data, meta = pyreadstat.read_sav(str(saved), output_format="dict")
    assert len(data["response_id"]) == 2
    assert meta.column_names_to_labels["satisfaction"] == "Hvor fornøyd var du med kontakten?"

    listed = staff.get(f"/api/v1/exports/?wave={wave.pk}").json()
    assert [j["id"] for j in listed["results"]] == [job["id"]]
    assert staff.get(f"/api/v1/exports/?wave={wave.pk + 1}").json()["count"] == 0


def test_bad_requests_are_refused_and_start_nothing(staff: APIClient) -> None:
    wave = WaveFactory()
    url = f"/api/v1/waves/{wave.pk}/export/"
    assert staff.post(url, {"format": "pdf"}, format="json").status_code == 400
    assert staff.post(url, {}, format="json").status_code == 400
    loose = staff.post(url, {"format": "csv", "include_screened_out": "yes"}, format="json")
    assert loose.status_code == 400
    assert "include_screened_out" in loose.json()
    assert staff.get("/api/v1/exports/?wave=x").status_code == 400
    assert not Job.objects.exists()


def test_an_unfinished_or_other_job_has_no_download(staff: APIClient) -> None:
    running = Job.objects.create(kind=EXPORT_JOB, status="running", result={"format": "csv"})
    assert staff.get(f"/api/v1/exports/{running.pk}/").json()["download"] is None
    assert staff.get(f"/api/v1/exports/{running.pk}/download/").status_code == 404
    mail = Job.objects.create(kind="send_invitations", status="done")
    assert staff.get(f"/api/v1/exports/{mail.pk}/").status_code == 404
