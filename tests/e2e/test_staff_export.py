"""A panel manager exports a wave with the keyboard, watches an export finish, downloads it."""

from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from kundeservice.models import Job, JobStatus
from kundeservice.roles import Role
from surveys.services.exports import EXPORT_JOB, ExportFormat, wave_export
from tests.e2e.conftest import assert_accessible, assert_fits_width, wait_for_path
from tests.factories import TEST_PASSWORD, UserFactory
from tests.surveys.services.test_exports import read_csv, wave_with_responses

pytestmark = pytest.mark.django_db(transaction=True)


def test_export_a_wave_and_download_it(
    live_server: Any, page: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    wave = wave_with_responses()
    UserFactory(username="pm", roles=[Role.PANEL_MANAGER])
    # An export already running when the page opens: the page polls it until it is done.
    running = Job.objects.create(
        kind=EXPORT_JOB,
        subject=f"wave:{wave.pk}",
        status=JobStatus.RUNNING,
        total=2,
        done=1,
        result={"format": ExportFormat.CSV, "include_screened_out": False},
    )

    page.goto(f"{live_server.url}/en/staff/waves/{wave.pk}/")
    page.get_by_label("Username").focus()
    page.keyboard.type("pm")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, f"/en/staff/waves/{wave.pk}/")
    export = page.locator("#export")
    assert export.get_by_role("progressbar").get_attribute("aria-valuenow") == "50"
    assert_accessible(page)
    assert_fits_width(page)

    relative = f"exports/{wave.slug}-csv-{running.pk}.csv"
    wave_export(wave=wave, file_format=ExportFormat.CSV, path=tmp_path / relative)
    Job.objects.filter(pk=running.pk).update(
        status=JobStatus.DONE,
        done=2,
        finished_at=timezone.now(),
        result={**running.result, "file": relative, "filename": f"{wave.slug}.csv", "rows": 2},
    )
    link = export.get_by_role("link", name=f"Download {wave.slug}.csv")
    link.wait_for()  # htmx swaps the finished export in
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(saved)
    assert len(read_csv(saved)) == 2

    # A new export, chosen and started with the keyboard.
    export.get_by_label("SPSS (.sav), with variable and value labels").focus()
    page.keyboard.press("Space")
    export.get_by_role("button", name="Start export").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    wait_for_path(page, f"/en/staff/waves/{wave.pk}/")
    # Named after study, wave and day (issue 17).
    today = timezone.localdate().isoformat()
    name = f"{wave.study.slug}-{wave.slug}-{today}.sav"
    assert export.get_by_role("link", name=f"Download {name}").is_visible()
    assert "The export is ready to download." in page.get_by_role("status").first.inner_text()
    assert_accessible(page)
    assert_fits_width(page)
