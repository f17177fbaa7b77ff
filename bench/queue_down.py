"""Queueing with Redis down: how long a request that queues work waits before it goes on.

    .venv/bin/python bench/queue_down.py

Broker and result store point at a port where nothing listens (as when production's one Redis
is down). Times, in one process:

  result kept    ``ping.apply_async``: a task that keeps its result also subscribes to the
                 result store, which retries for about 19 s and then raises (why tasks keep
                 no result: ``CELERY_TASK_IGNORE_RESULT``)
  first enqueue  ``enqueue(aggregate_wave, …)``: the broker found down (redis-py's retries)
  next enqueue   the same within ``BROKER_DOWN_PAUSE``: not tried

No database is touched. Record what it prints in bench/RESULTS.md with the command.
"""

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

DEAD_REDIS = "redis://127.0.0.1:1/0"


def timed(call: Any) -> tuple[float, str]:
    started = time.perf_counter()
    try:
        outcome = repr(call())
    except Exception as exc:  # what it raises is the measurement
        outcome = f"raised {type(exc).__name__}"
    return time.perf_counter() - started, outcome


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kundeservice.settings"
    os.environ["REDIS_URL"] = DEAD_REDIS
    os.environ["CELERY_BROKER_URL"] = DEAD_REDIS
    os.environ["CELERY_RESULT_BACKEND"] = DEAD_REDIS
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    import django

    django.setup()
    logging.disable(logging.CRITICAL)  # the retries log every second

    from kundeservice.tasks import enqueue, ping
    from surveys.tasks import aggregate_wave

    rows = [
        ("result kept (ping.apply_async)", lambda: ping.apply_async(kwargs={"payload": "x"})),
        ("first enqueue", lambda: enqueue(aggregate_wave, result_set_id=0)),
        ("next enqueue", lambda: enqueue(aggregate_wave, result_set_id=0)),
    ]
    for label, call in rows:
        seconds, outcome = timed(call)
        print(f"{label:<32} {seconds:6.2f} s  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
