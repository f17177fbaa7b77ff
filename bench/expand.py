"""What the worker's expansion of API submissions costs per response, in-process (issue 21).

    .venv/bin/python bench/expand.py                  # 3 rounds × 1,000 submissions each way
    .venv/bin/python bench/expand.py --count 2000 --rounds 5

On the API benchmark's database (``kundeservice_bench``): each round seeds ``--count`` fresh
invitations, accepts a submission for each (``submission_accept``, as the API does), then times
``submissions_expand()`` — once writing the answers as the worker does now (one ``COPY`` of plain
values per batch) and once as it did before (an ``Answer`` object per value and
``bulk_create``), alternately. CPU seconds of this process (``time.process_time``) are the
steadier figure on a shared machine; wall seconds include PostgreSQL's share.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in {None, ""}:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import child_setup, load_average, prepared_database, run_child

DATABASE = "kundeservice_bench"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]))))
        return 0
    env = prepared_database(DATABASE)
    if env is None:
        return 2
    env = {**env, "REDIS_URL": ""}  # no broker: nothing is queued, the expansion runs here
    print(load_average() + " at the start")
    runs: dict[str, list[dict[str, float]]] = {"copy": [], "bulk_create": []}
    for _round in range(args.rounds):
        for way in runs:
            runs[way].append(run_child(__file__, env, [way, str(args.count)]))
    for way, done in runs.items():
        cpu = statistics.median(r["cpu_ms"] for r in done)
        wall = statistics.median(r["wall_ms"] for r in done)
        print(
            f"{way:<12} CPU {cpu:.2f} ms a response, wall {wall:.2f} ms (median of "
            f"{len(done)} rounds of {args.count}; rounds CPU "
            + ", ".join(f"{r['cpu_ms']:.2f}" for r in done)
            + ")"
        )
    print(load_average() + " at the end")
    return 0


def child(way: str, count: int) -> dict[str, Any]:
    child_setup()
    from django.db import transaction

    from bench.seed import seed_respondents
    from surveys.models import Answer, SubmissionInbox
    from surveys.services import submissions

    # No task: the expansion is timed here, not run by the accept's on_commit (eager Celery).
    submissions._queue_expansion = lambda: None  # type: ignore[assignment]
    tokens_path = Path(f"/tmp/bench-expand-{count}.txt")
    seed_respondents(count=count, tokens_path=tokens_path)
    answers = json.loads(tokens_path.with_suffix(".answers.json").read_text())["api"]
    for token in tokens_path.read_text().split():
        with transaction.atomic():
            submissions.submission_accept(token=token, answers=answers)
    if way == "bulk_create":

        def objects(rows: list[Any]) -> None:
            Answer.objects.bulk_create(
                [
                    Answer(
                        response=response,
                        wave_id=response.wave_id,
                        **dict(zip(submissions.ANSWER_COLUMNS, row, strict=True)),
                    )
                    for response, values in rows
                    for row in values
                ],
                batch_size=1000,
            )

        submissions._write_answers = objects  # type: ignore[assignment]
    # Warm, as a busy worker is: the structure cache, the URLconf, the first statements.
    first = SubmissionInbox.objects.order_by("id").values_list("invitation_id", flat=True)[:1]
    submissions.submissions_expand(invitation_ids=list(first))
    started, cpu = time.perf_counter(), time.process_time()
    done = submissions.submissions_expand()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    saved = done.get("saved", 0)
    if saved != count - 1:
        raise SystemExit(f"expanded {done}, expected {count - 1} saved")
    tokens_path.unlink()
    tokens_path.with_suffix(".answers.json").unlink()
    return {"saved": saved, "cpu_ms": cpu / saved * 1000, "wall_ms": wall / saved * 1000}


if __name__ == "__main__":
    sys.exit(main())
