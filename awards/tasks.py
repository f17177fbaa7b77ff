"""Celery tasks of the award night: thin, safe to run twice."""

from typing import Any

from celery import Task, shared_task


@shared_task(bind=True, name="awards.tasks.seed_demo_award_night", max_retries=120)
def seed_demo_award_night(self: Task) -> dict[str, Any]:
    """Build the demo award night once the demo results are published (a worker may still be
    aggregating them: try again in five seconds, for up to ten minutes)."""
    from awards import demo

    if not demo.results_ready():
        raise self.retry(countdown=5)
    event = demo.build_night()
    return {"event": event.slug if event else None}
