"""Staff console: start an export from the wave page, watch it, download the file."""

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone, translation

from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.models import Wave
from surveys.services import exports
from surveys.services.exports import EXPORT_JOB
from tests.factories import UserFactory, WaveFactory
from tests.surveys.services.test_exports import read_csv, wave_with_responses

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def wave() -> Wave:
    return wave_with_responses()


@pytest.fixture
def manager(client: Any) -> Any:
    client.force_login(UserFactory(roles=[Role.PANEL_MANAGER]))
    return client


def test_export_from_the_wave_page_then_download(
    manager: Any, wave: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    page = manager.get(f"/en/staff/waves/{wave.pk}/").content.decode()
    assert f'action="/en/staff/waves/{wave.pk}/export/"' in page
    assert 'name="format" value="sav"' in page

    with django_capture_on_commit_callbacks(execute=True):
        started = manager.post(f"/en/staff/waves/{wave.pk}/export/", {"format": "csv"})
    assert started.status_code == 302
    assert started["Location"] == f"/en/staff/waves/{wave.pk}/#export"
    job = Job.objects.get(kind=EXPORT_JOB)
    assert job.status == JobStatus.DONE

    page = manager.get(f"/en/staff/waves/{wave.pk}/").content.decode()
    link = f"/en/staff/exports/{job.pk}/download/"
    assert link in page
    # Named after study, wave and day, not the wave's slug alone (issue 17).
    name = f"{wave.study.slug}-{wave.slug}-{timezone.localdate().isoformat()}.csv"
    assert f"Download {name}" in page
    assert 'aria-valuenow="100"' in page

    download = manager.get(link)
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{name}"'
    body = b"".join(download.streaming_content)
    saved = tmp_path / "download.csv"
    saved.write_bytes(body)
    assert [r["status"] for r in read_csv(saved)] == ["submitted", "submitted"]


def test_progress_polls_until_the_export_is_done(manager: Any) -> None:
    wave = WaveFactory()
    job = Job.objects.create(
        kind=EXPORT_JOB,
        subject=f"wave:{wave.pk}",
        status=JobStatus.RUNNING,
        total=4,
        done=1,
        result={"format": "xlsx"},
    )
    running = manager.get(f"/en/staff/exports/{job.pk}/").content.decode()
    assert f'hx-get="/en/staff/exports/{job.pk}/"' in running
    assert 'aria-valuenow="25"' in running
    assert "staff/jobs/" not in running  # one poller: the export block, not the bar inside it
    assert "download" not in running
    assert manager.get(f"/en/staff/exports/{job.pk}/download/").status_code == 404


def test_a_failed_export_shows_its_message(
    manager: Any, wave: Any, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def disk_full(self: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports._XlsxWriter, "write", disk_full)  # rows from Python (SQLite)
    monkeypatch.setattr(exports._XlsxWriter, "copy", disk_full)  # from the SQL pivot
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        manager.post(f"/en/staff/waves/{wave.pk}/export/", {"format": "xlsx"})
    job = Job.objects.get(kind=EXPORT_JOB)
    assert job.status == JobStatus.FAILED
    page = manager.get(f"/en/staff/waves/{wave.pk}/").content.decode()
    assert "The export file could not be written: No space left on device" in page
    assert f"/staff/exports/{job.pk}/download/" not in page
    assert manager.get(f"/en/staff/exports/{job.pk}/download/").status_code == 404


def test_a_bad_format_is_explained_next_to_the_field(manager: Any) -> None:
    wave = WaveFactory()
    response = manager.post(f"/en/staff/waves/{wave.pk}/export/", {"format": "pdf"})
    assert response.status_code == 400
    html = response.content.decode()
    error = "Select a valid choice. pdf is not one of the available choices."
    assert f'<ul class="errorlist" id="id_format_error"><li>{error}</li></ul>' in html
    assert f'<a href="#id_format">Format: {error}</a>' in html  # the summary links to the group
    assert not Job.objects.exists()


def test_the_export_page_lists_earlier_exports(manager: Any) -> None:
    wave = WaveFactory()
    Job.objects.create(
        kind=EXPORT_JOB, subject=f"wave:{wave.pk}", status=JobStatus.FAILED, message="Full disk"
    )
    page = manager.get(f"/en/staff/waves/{wave.pk}/export/").content.decode()
    assert "Full disk" in page


def test_only_export_jobs_can_be_downloaded(manager: Any) -> None:
    other = Job.objects.create(kind="send_invitations", status=JobStatus.DONE)
    other.result = {"file": "exports/x.csv"}
    other.save()
    assert manager.get(f"/en/staff/exports/{other.pk}/download/").status_code == 404
    assert manager.get(f"/en/staff/exports/{other.pk}/").status_code == 404


def test_a_finished_export_whose_path_leaves_the_export_folder_is_not_served(
    manager: Any, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("nei")
    job = Job.objects.create(
        kind=EXPORT_JOB, status=JobStatus.DONE, result={"file": "exports/../secret.txt"}
    )
    assert manager.get(f"/en/staff/exports/{job.pk}/download/").status_code == 404
