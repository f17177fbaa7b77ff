"""Work is queued only after the transaction that made it commits."""

from typing import Any
from unittest import mock

import pytest
from django.db import transaction

from kundeservice.tasks import enqueue_on_commit, ping


@pytest.mark.django_db
def test_enqueue_waits_for_commit(django_capture_on_commit_callbacks: Any) -> None:
    with mock.patch.object(ping, "apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            enqueue_on_commit(ping, payload="x")
            assert apply_async.call_count == 0
        assert len(callbacks) == 1
    apply_async.assert_called_once_with(kwargs={"payload": "x"}, retry=False)


@pytest.mark.django_db(transaction=True)
def test_rolled_back_work_is_never_queued() -> None:
    def queue_then_fail() -> None:
        with transaction.atomic():
            enqueue_on_commit(ping, payload="x")
            raise RuntimeError("rollback")

    with mock.patch.object(ping, "apply_async") as apply_async:
        with pytest.raises(RuntimeError):
            queue_then_fail()
        apply_async.assert_not_called()


@pytest.mark.django_db
def test_a_broker_outage_does_not_fail_the_request(
    django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    from kombu.exceptions import OperationalError

    broker_down = mock.patch.object(
        ping, "apply_async", side_effect=OperationalError("Connection refused")
    )
    with broker_down, django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(ping, payload="x")
    assert "broker unavailable" in caplog.text


@pytest.mark.django_db
def test_a_job_whose_task_cannot_be_queued_fails_and_the_process_stops_trying_for_a_while(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from kombu.exceptions import OperationalError

    from kundeservice.celery import app as celery_app
    from kundeservice.models import Job, JobStatus
    from kundeservice.tasks import enqueue

    job = Job.objects.create(kind="export", subject="wave:1")
    celery_app.conf.task_always_eager = False  # a broker, not tasks run in process
    down = OperationalError("Connection refused")
    with mock.patch.object(ping, "apply_async", side_effect=down) as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(ping, payload="x", job_id=job.pk)
        assert enqueue(ping, payload="y") is False  # not tried again: no second 6 s wait
    assert apply_async.call_count == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("Oppgavekøen svarer ikke")


@pytest.mark.django_db
def test_run_eagerly_a_task_that_raises_is_its_own_failure_not_the_queues() -> None:
    from kundeservice.tasks import enqueue

    with mock.patch.object(ping, "apply_async", side_effect=OSError("disk full")):
        assert enqueue(ping, payload="x") is True
    with mock.patch.object(ping, "apply_async") as apply_async:
        assert enqueue(ping, payload="y") is True  # and the next is not held back
    apply_async.assert_called_once()
