"""A submission accepted by the API is saved by a real worker through Redis, within seconds."""

import time
from typing import Any

from rest_framework.test import APIClient

from surveys.models import Answer, Response, ResponseStatus
from surveys.services import submissions
from tests.factories import CompanyFactory, WaveFactory, invite
from tests.surveys.api.test_respond_submit import ANSWERS


def test_an_accepted_submission_is_saved_by_the_worker(
    celery_worker: Any, worker_log: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(submissions, "_expansion_due", 0.0)
    CompanyFactory(slug="fjordbanken")
    token = invite(WaveFactory())
    accepted = APIClient().post(
        f"/api/v1/respond/{token}/submit/", {"answers": ANSWERS}, format="json"
    )
    assert accepted.status_code == 202
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if Response.objects.filter(status=ResponseStatus.SUBMITTED).exists():
            break
        time.sleep(0.2)
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == 1, worker_log()
    assert Answer.objects.count() == len(ANSWERS)
    assert "surveys.tasks.expand_submissions" in worker_log()
