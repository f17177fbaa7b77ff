"""A real worker killed in the middle of an aggregation: the public keeps the previous results,
and a rerun on a new worker succeeds."""

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from surveys.models import ResultSet, ResultSetStatus
from surveys.services.aggregation import aggregation_run, aggregation_start
from surveys.services.publishing import wave_publish
from tests.integration.conftest import start_worker, stop_worker
from tests.surveys.services.test_aggregation import add_contacts, golden_wave

# The worker is another process: it must see the test database, so PostgreSQL (SQLite's test
# database lives in this process's memory).
pytestmark = pytest.mark.postgres


@pytest.fixture
def slow_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers started from here pause 1 s after each aggregation step (fault injection), so
    one can be killed mid-run."""
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "1")


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def writing_rows(result_set_id: int) -> bool:
    """Is another connection inside a transaction that has written result rows and waits?"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.relation = 'surveys_resultrow'::regclass AND l.mode = 'RowExclusiveLock' "
            "AND a.pid <> pg_backend_pid() AND a.state = 'idle in transaction'"
        )
        waiting = cursor.fetchone() is not None
    job = ResultSet.objects.get(pk=result_set_id).job
    return waiting and job is not None and job.done >= 4


def test_killed_aggregation_leaves_the_previous_results_and_a_rerun_succeeds(
    slow_steps: None,
    celery_worker: Any,
    client: Any,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wave = golden_wave()
    first = ResultSet.objects.create(wave=wave, cutoff=wave.ends_on, is_final=True)
    aggregation_run(result_set_id=first.pk)  # here, in the test process
    wave_publish(wave=wave, public=True)
    page = f"/en/results/{wave.study.slug}/{wave.slug}/company/beta/"
    assert "55.0" in client.get(page).content.decode()

    companies = {"beta": wave.responses.filter(company__slug="beta").first().company}
    add_contacts(wave, companies, {"beta": [(100, "phone", "yes")] * 3})
    killed = aggregation_start(wave=wave)  # through Redis to the real worker
    # Kill it when its rows are written but before it is made current: the worst moment. The
    # worker pauses there, inside the transaction that writes the rows and swaps the set.
    wait_for(lambda: writing_rows(killed.pk))
    celery_worker.kill()
    celery_worker.wait(timeout=10)

    killed.refresh_from_db()
    first.refresh_from_db()
    assert killed.status == ResultSetStatus.RUNNING
    assert not killed.is_current
    assert not killed.rows.exists()  # its transaction died with it: nothing half-written
    assert first.is_current
    assert "55.0" in client.get(page).content.decode()  # readers still see the old figures

    # A rerun on a fresh worker: the stalled run is given up, a new set becomes current.
    settings.AGGREGATION_STALLED_AFTER = 0
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "0")
    worker = start_worker()
    try:
        rerun = aggregation_start(wave=wave)
        assert rerun.pk != killed.pk
        wait_for(lambda: ResultSet.objects.get(pk=rerun.pk).status != ResultSetStatus.RUNNING)
    finally:
        stop_worker(worker)
    rerun.refresh_from_db()
    killed.refresh_from_db()
    assert rerun.status == ResultSetStatus.COMPLETE, rerun.error
    assert rerun.is_current
    assert killed.status == ResultSetStatus.FAILED
    assert "77.5" in client.get(page).content.decode()  # (50 + 60 + 55 + 3 × 100) / 6
