"""Where the web process spends its CPU on the browser survey (issue 21), request kind by
request kind: the same requests ``bench/browser_survey.py``'s locust respondent sends, driven
in one process through Django's test client against a benchmark database, with
``time.process_time`` around each request and the SQL statements it ran.

    .venv/bin/python bench/profile_browser.py --respondents 60
    .venv/bin/python bench/profile_browser.py --respondents 60 --cprofile next

The figures are the web process's own CPU without gunicorn, the network or a load generator;
they say which request kind to work on, not what a respondent waits.
"""

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import PY, bench_redis_url, prepared_database  # noqa: E402
from bench.respondent import CSRF, shown_on_page  # noqa: E402

KINDS = ("first page", "autosave", "next", "submit", "thank you")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=60)
    parser.add_argument("--warm", type=int, default=5, help="respondents before measuring")
    parser.add_argument("--cprofile", choices=KINDS, help="profile this request kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    env = prepared_database("kundeservice_bench_prof", redis_url=bench_redis_url(12))
    if env is None:
        return 2
    tokens = Path(tempfile.mkdtemp(prefix="bench-prof-")) / "tokens.txt"
    count = args.respondents + args.warm
    seed = [PY, "-m", "bench.seed", "respond", "--count", str(count), "--tokens", str(tokens)]
    subprocess.run(seed, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    env = {**env, "BENCH_TOKENS": str(tokens)}
    return subprocess.run([PY, __file__, "--child", *sys.argv[1:]], env=env, cwd=ROOT).returncode


def child(args: argparse.Namespace) -> int:
    from bench.common import child_setup

    child_setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    tokens_path = Path(os.environ["BENCH_TOKENS"])
    tokens = tokens_path.read_text().split()
    pages = json.loads(tokens_path.with_suffix(".answers.json").read_text())["pages"]
    cpu: dict[str, list[float]] = defaultdict(list)
    queries: dict[str, list[int]] = defaultdict(list)
    profiler = cProfile.Profile()
    client = Client(HTTP_HOST="127.0.0.1")
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "survey"}
    form = "application/x-www-form-urlencoded"

    def call(kind: str, measured: bool, path: str, body: str | None = None, **headers: Any) -> Any:
        """GET ``path`` (or POST ``body`` to it) as the browser does; measure it when told."""
        profile = measured and kind == args.cprofile
        with CaptureQueriesContext(connection) as captured:
            if profile:
                profiler.enable()
            started = time.process_time()
            if body is None:
                reply = client.get(path, **headers)
            else:
                reply = client.post(path, body, content_type=form, **headers)
            spent = time.process_time() - started
            if profile:
                profiler.disable()
        if measured:
            cpu[kind].append(spent * 1000)
            queries[kind].append(len(captured.captured_queries))
        return reply

    for n, token in enumerate(tokens):
        measured = n >= args.warm
        path = f"/s/{token}/"
        html = call("first page", measured, path).content.decode()
        csrf = CSRF.search(html).group(1)  # type: ignore[union-attr]
        for number, answers in enumerate(pages):
            fields = {"csrfmiddlewaretoken": csrf, **answers, "page": str(number)}
            body = urlencode({**fields, "action": "stay", "@shown": shown_on_page(html)})
            call("autosave", measured, path, body, HTTP_X_AUTOSAVE="1")
            body = urlencode({**fields, "action": "next"})
            html = call("next", measured, path, body, **htmx).content.decode()
        body = urlencode({"csrfmiddlewaretoken": csrf, "action": "submit"})
        reply = call("submit", measured, path, body, **htmx)
        assert reply.status_code == 204, reply.status_code
        call("thank you", measured, path)

    total = 0.0
    print(f"{'request':<12} {'n':>5} {'CPU ms (median)':>16} {'mean':>7} {'SQL':>4}")
    for kind in KINDS:
        values = sorted(cpu[kind])
        median = values[len(values) // 2]
        mean = sum(values) / len(values)
        per_survey = len(values) / args.respondents
        total += mean * per_survey
        sql = max(set(queries[kind]), key=queries[kind].count)
        print(f"{kind:<12} {len(values):>5} {median:>16.2f} {mean:>7.2f} {sql:>4}")
    print(f"web CPU a survey (means, without gunicorn): {total:.1f} ms")
    if args.cprofile:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return 0


if __name__ == "__main__":
    sys.exit(main())
