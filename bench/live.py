"""The award night's live page under 2,000 phones (issue 13), in production shape.

    .venv/bin/python bench/run.py award-live            # as part of `make bench`
    .venv/bin/python bench/run.py award-live --phones 500

On its own database ``kundeservice_bench_award`` (the demo night from ``seed_demo``, shared with
bench/award_finalists.py), set live with every reveal undone. gunicorn serves ``bench.wsgi`` —
``kundeservice/wsgi.py``'s stack, so a poll whose ETag is current is answered 304 by
``NotModifiedShortcut`` before Django runs, as in production — with ``GUNICORN_ARGS``, Redis as
the cache. locust's ``LivePhoneUser`` is a phone that has loaded the live page (which carries
the feed's current ETag) and polls the feed every 2 s with ``If-None-Match``, as the page's
script does; the phones are spawned over about 10 s and the statistics reset once all poll.
Part-way through, a category is revealed by the real service (``category_reveal``, in another
process); each phone reports, when its feed first changes, how long after the reveal's commit
that was ("live: reveal seen", left out of the request figures).

Goals: p95 < 50 ms, no failed request, every phone sees the reveal < 3 s after it commits. The
bare project's req/s in the same run is shown beside the live feed's.
"""

import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.common import bench_redis_url, child_setup, prepared_database, run_child
from bench.harness import Row

DATABASE = "kundeservice_bench_award"
REDIS_DB = 14
P95_MS = 50
REVEAL_SECONDS = 3.0
SEEN = "live: reveal seen"
POLL = "live: poll"


def measure(ctx: Any) -> list[Row]:
    env = prepared_database(DATABASE, redis_url=bench_redis_url(REDIS_DB))
    if env is None:
        return [Row(target="award live page", note="not run: no PostgreSQL")]
    setup = run_child(__file__, {**env, "CELERY_TASK_ALWAYS_EAGER": "1"}, ["setup"])
    phones = int(ctx.args.phones)
    spawn_rate = max(50.0, phones / 10)
    ramp = phones / spawn_rate
    reveal_after = ramp + 8.0
    seconds = int(reveal_after + 15)
    baseline = ctx.bare_baseline()
    reveal_file = Path(tempfile.mkdtemp(prefix="bench-live-")) / "revealed_at"
    load = harness.load_before()
    revealed: dict[str, Any] = {}

    def reveal(at: float) -> None:
        # The child sets Django up first, then waits for ``at``: its start-up (seconds on a
        # loaded machine) does not shift the reveal; it writes the file right after the commit.
        argv = ["reveal", str(setup["category"]), str(at), str(reveal_file)]
        try:
            revealed.update(run_child(__file__, env, argv))
        except SystemExit as exc:
            revealed["error"] = str(exc)

    with harness.gunicorn("bench.wsgi", env) as base:
        thread = threading.Thread(target=reveal, args=(time.time() + reveal_after + 3,))
        thread.start()
        stats = harness.locust(
            "LivePhoneUser",
            base,
            {
                **env,
                "BENCH_LIVE_PATH": setup["feed"],
                "BENCH_LIVE_ETAG": setup["etag"],
                "BENCH_REVEAL_FILE": str(reveal_file),
            },
            users=phones,
            seconds=seconds,
            spawn_rate=spawn_rate,
            reset_stats=True,
            exclude=(SEEN,),
        )
        thread.join()
    if "error" in revealed or not reveal_file.exists():
        note = f"reveal failed: {revealed}"
        return [Row(target="award live page", met=False, load=load, note=note)]
    reveal_file.unlink(missing_ok=True)
    reveal_file.parent.rmdir()
    seen = stats.named(SEEN)
    seen_n = seen["num_requests"]
    seen_max = max((int(ms) for ms in seen.get("response_times", {})), default=0)
    poll = stats.named(POLL)
    ratio = stats.rps / baseline.rps if baseline.rps else 0.0
    met = (
        stats.p95 < P95_MS
        and not stats.failures
        and seen_n == phones
        and seen_max < REVEAL_SECONDS * 1000
    )
    return [
        Row(
            target=f"award live page, {phones:,} phones / 2 s",
            baseline=f"{baseline.rps:,.0f} req/s",
            figure=(
                f"{stats.rps:,.0f} polls/s, p95 {stats.p95:.0f} ms, "
                f"reveal ≤ {seen_max / 1000:.1f} s"
            ),
            ratio=f"{ratio:.0%}",
            goal="p95 < 50 ms, 0 errors, reveal < 3 s to all",
            met=met,
            load=load,
            note=(
                f"{stats.requests} polls ({poll['num_failures']} failed), p50/p95/p99 "
                f"{stats.p50:.0f}/{stats.p95:.0f}/{stats.p99:.0f} ms; reveal seen by {seen_n} of "
                f"{phones} phones, p50 {stats.percentile_of(SEEN, 0.5) / 1000:.1f} s, max "
                f"{seen_max / 1000:.1f} s after its commit (at "
                f"{revealed['committed_at'] - stats.started:.0f} s of {stats.elapsed:.0f} s)"
                + (f"; locust: {stats.log.strip()[-300:]}" if stats.failures else "")
            ),
        )
    ]


# --- In the child process, against the bench database ----------------------------------------


def child(argv: list[str]) -> int:
    child_setup()
    command, *rest = argv
    result = {"setup": child_live_setup, "reveal": child_reveal}[command](*rest)
    print(json.dumps(result))
    return 0


def child_live_setup() -> dict[str, Any]:
    """The demo night, live, nothing revealed; its feed's path and a category to reveal."""
    from django.core.management import call_command
    from django.test import TestCase
    from django.urls import reverse
    from django.utils import translation

    from awards.demo import SLUG
    from awards.models import AwardCategory, AwardEvent, EventState
    from awards.selectors import AWARDS_NAMESPACE, live_etag, public_token
    from kundeservice.caching import visibility_bump

    if not AwardEvent.objects.filter(slug=SLUG).exists():
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    event = AwardEvent.objects.get(slug=SLUG)
    AwardEvent.objects.filter(pk=event.pk).update(state=EventState.LIVE)
    AwardCategory.objects.filter(event=event).update(revealed_at=None)
    visibility_bump(AWARDS_NAMESPACE)
    category = (
        AwardCategory.objects.filter(
            event=event, confirmed_at__isnull=False, placements__is_winner=True
        )
        .order_by("position")
        .first()
    )
    if category is None:
        raise SystemExit("the demo night has no confirmed category to reveal")
    with translation.override("nb"):
        feed = reverse("award-live-feed", args=[SLUG])
        etag = live_etag(public_token(slug=SLUG) or "")
    return {"feed": feed, "category": category.pk, "etag": etag}


def child_reveal(category_id: str, at: str, path: str) -> dict[str, Any]:
    """Reveal the category at ``at`` (epoch s); write the commit's time to ``path``."""
    from django.contrib.auth import get_user_model

    from awards.models import AwardCategory
    from awards.services.categories import category_reveal

    manager = get_user_model().objects.filter(username="award_manager").first()
    category = AwardCategory.objects.get(pk=int(category_id))
    time.sleep(max(0.0, float(at) - time.time()))
    category_reveal(category=category, by=manager)
    committed_at = time.time()
    Path(path).write_text(str(committed_at))
    return {"committed_at": committed_at, "late_s": committed_at - float(at)}


if __name__ == "__main__":
    if "--child" in sys.argv:
        sys.exit(child(sys.argv[sys.argv.index("--child") + 1 :]))
    raise SystemExit("run it through bench/run.py: .venv/bin/python bench/run.py award-live")
