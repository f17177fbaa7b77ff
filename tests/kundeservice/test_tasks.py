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
