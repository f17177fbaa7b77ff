"""Redis restarted under a worker that holds delayed (ETA) tasks: the worker survives, and work
queued after the restart still runs. It used to end with "Unrecoverable error: AttributeError
'NoneType' object has no attribute 'hostname'" (celery 5.7's consumer forgets the broker's
settings before it restores the unacknowledged messages)."""

import time
from typing import Any

from kundeservice.celery import app as celery_app
from tests.faults.services import PrivateRedis, log_text, site_env, start_worker, stop, wait_for


def queue_pings(redis: PrivateRedis, n: int, *, countdown: float | None = None) -> None:
    celery_app.conf.task_always_eager = False  # sent to the private Redis, not run here
    with celery_app.connection_for_write(redis.url) as connection:
        for i in range(n):
            celery_app.send_task(
                "kundeservice.tasks.ping",
                kwargs={"payload": f"p{i}"},
                connection=connection,
                queue="default",
                countdown=countdown,
            )


def test_the_worker_survives_redis_restarting_while_it_holds_delayed_tasks(
    transactional_db: Any, private_redis: PrivateRedis
) -> None:
    # Prefork, as `make worker` and docker-compose run it.
    worker = start_worker(site_env(private_redis.url), name="restart", pool="prefork")
    try:
        queue_pings(private_redis, 3, countdown=300)
        wait_for(lambda: log_text("restart").count(" received") >= 3, 30, "the delayed tasks")

        private_redis.restart()
        wait_for(lambda: "Restoring 3 unacknowledged" in log_text("restart"), 30, "the restore")
        time.sleep(3)  # where it used to die
        assert worker.poll() is None, log_text("restart")[-3000:]
        assert "Unrecoverable error" not in log_text("restart")

        # It reconnected and works.
        queue_pings(private_redis, 1)
        wait_for(lambda: " succeeded in " in log_text("restart"), 60, "a task after the restart")
    finally:
        stop(worker)
