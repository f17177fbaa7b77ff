"""Workers SIGKILLed in the middle of their work: an aggregation is told apart from a merely
slow one by its heartbeat, given up within seconds of its worker's death and redelivered."""

import os
import signal
import time
from typing import Any

import pytest

from kundeservice.models import Job
from surveys.models import ResultSet, ResultSetStatus
from surveys.services.aggregation import aggregation_start, aggregations_redeliver_stalled
from tests.faults.services import wait_for
from tests.integration.conftest import start_worker, stop_worker
from tests.surveys.services.test_aggregation import golden_wave

STALLED_AFTER = 3.0


@pytest.fixture
def heartbeat(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """Workers started from here beat every half second and pause 4 s after each step: longer
    than an aggregation may go untouched before it counts as stalled."""
    monkeypatch.setenv("AGGREGATION_HEARTBEAT", "0.5")
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "4")
    settings.AGGREGATION_STALLED_AFTER = STALLED_AFTER


def test_a_killed_aggregation_is_redelivered_within_seconds_and_a_slow_one_is_left_alone(
    heartbeat: None, real_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    wave = golden_wave()
    run = aggregation_start(wave=wave)  # through Redis to the real worker
    wait_for(lambda: Job.objects.get(pk=run.job_id).done >= 1, 60, "the first step")
    time.sleep(STALLED_AFTER + 1)  # inside a 4 s step: the job's progress has not moved

    # Alive: a second start finds the run under way, the sweep leaves it alone.
    assert aggregation_start(wave=wave).pk == run.pk
    assert aggregations_redeliver_stalled() == []

    os.kill(real_worker.pid, signal.SIGKILL)
    real_worker.wait(timeout=10)
    time.sleep(STALLED_AFTER + 0.5)
    # Dead: the sweep queues the set again at once (not after the broker's hour), and a fresh
    # worker completes it.
    assert aggregations_redeliver_stalled() == [run.pk]
    monkeypatch.setenv("AGGREGATION_STEP_DELAY", "0")
    worker = start_worker()
    try:
        wait_for(
            lambda: ResultSet.objects.get(pk=run.pk).status != ResultSetStatus.RUNNING,
            60,
            "the redelivered aggregation",
        )
    finally:
        stop_worker(worker)
    run.refresh_from_db()
    assert run.status == ResultSetStatus.COMPLETE, run.error
    assert run.is_current
    assert ResultSet.objects.filter(wave=wave).count() == 1  # redelivered, not started twice
