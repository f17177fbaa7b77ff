"""Where the web process spends its CPU, request kind by request kind, on the two flows whose
figures were missed: the browser survey (issue 21) and the ticket rush (issue 14). The same
requests the benchmarks' clients send (``bench/browser_survey.py``'s locust respondent,
``bench/tickets.py``'s rush buyer), driven in one process through Django's test client against
a benchmark database, with ``time.process_time`` around each request and the SQL it ran.

    .venv/bin/python bench/request_cpu.py browser --count 60
    .venv/bin/python bench/request_cpu.py browser --count 60 --cprofile next
    .venv/bin/python bench/request_cpu.py rush --count 60 --cprofile confirm
    .venv/bin/python bench/request_cpu.py rush --count 20 --sql reserve
    BENCH_PROFILE_SORT=tottime .venv/bin/python bench/request_cpu.py rush --cprofile shop

The figures are the web process's own CPU without gunicorn, the network or a load generator;
they say which request kind to work on, not what a respondent or buyer waits.
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

from bench.common import PY, bench_redis_url, prepared_database, run_child  # noqa: E402
from bench.respondent import CSRF, shown_on_page  # noqa: E402

KINDS = {
    "browser": ("first page", "autosave", "next", "submit", "thank you"),
    "rush": ("shop", "reserve", "sold out", "order page", "confirm"),
}
FORM = "application/x-www-form-urlencoded"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("flow", choices=sorted(KINDS))
    parser.add_argument("--count", type=int, default=60, help="respondents or buyers measured")
    parser.add_argument("--warm", type=int, default=5, help="respondents or buyers before")
    parser.add_argument("--cprofile", help="profile this request kind")
    parser.add_argument("--sql", help="print the SQL of the last measured request of this kind")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for option in ("cprofile", "sql"):
        if getattr(args, option) and getattr(args, option) not in KINDS[args.flow]:
            parser.error(f"--{option}: one of {', '.join(KINDS[args.flow])}")
    if args.child:
        return child(args)
    env = prepared_database("kundeservice_bench_prof", redis_url=bench_redis_url(12))
    if env is None:
        return 2
    count = args.count + args.warm
    if args.flow == "browser":
        tokens = Path(tempfile.mkdtemp(prefix="bench-prof-")) / "tokens.txt"
        seed = [PY, "-m", "bench.seed", "respond", "--count", str(count), "--tokens", str(tokens)]
        subprocess.run(seed, check=True, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        env = {**env, "BENCH_TOKENS": str(tokens)}
    else:
        # Seats for the first ``count`` buyers: as many again come after and are turned away.
        setup = run_child(str(ROOT / "bench" / "tickets.py"), env, ["setup-rush", str(count)])
        env = {**env, "BENCH_RUSH": json.dumps(setup)}
    return subprocess.run([PY, __file__, "--child", *sys.argv[1:]], env=env, cwd=ROOT).returncode


class Meter:
    """Django's test client, measuring the CPU and SQL of each request by kind."""

    def __init__(
        self, kinds: tuple[str, ...], profiled: str | None, shown: str | None = None
    ) -> None:
        from django.test import Client

        self.kinds = kinds
        self.profiled = profiled
        self.profiler = cProfile.Profile()
        self.client = Client(HTTP_HOST="127.0.0.1")
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.queries: dict[str, list[int]] = defaultdict(list)
        self.measuring = False
        self.shown = shown
        self.statements: list[str] = []

    def __call__(self, kind: str, path: str, body: str | None = None, **headers: Any) -> Any:
        """GET ``path`` (or POST ``body`` to it) as the browser does; measured when measuring."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        profile = self.measuring and kind == self.profiled
        with CaptureQueriesContext(connection) as captured:
            if profile:
                self.profiler.enable()
            started = time.process_time()
            if body is None:
                reply = self.client.get(path, **headers)
            else:
                reply = self.client.post(path, body, content_type=FORM, **headers)
            spent = time.process_time() - started
            if profile:
                self.profiler.disable()
        if self.measuring:
            self.cpu[kind].append(spent * 1000)
            self.queries[kind].append(len(captured.captured_queries))
            if kind == self.shown:
                self.statements = [q["sql"] for q in captured.captured_queries]
        return reply

    def report(self, count: int, unit: str) -> None:
        total = 0.0
        print(f"{'request':<12} {'n':>5} {'CPU ms (median)':>16} {'mean':>7} {'SQL':>4}")
        for kind in self.kinds:
            values = sorted(self.cpu[kind])
            if not values:
                continue
            mean = sum(values) / len(values)
            total += mean * len(values) / count
            sql = max(set(self.queries[kind]), key=self.queries[kind].count)
            median = values[len(values) // 2]
            print(f"{kind:<12} {len(values):>5} {median:>16.2f} {mean:>7.2f} {sql:>4}")
        print(f"web CPU {unit} (means, without gunicorn): {total:.1f} ms")
        for number, sql in enumerate(self.statements, 1):
            print(f"{self.shown} SQL {number}: {sql}")
        if self.profiled:
            stats = pstats.Stats(self.profiler)
            stats.sort_stats(os.environ.get("BENCH_PROFILE_SORT", "cumulative")).print_stats(45)


def child(args: argparse.Namespace) -> int:
    from bench.common import child_setup

    child_setup()
    meter = Meter(KINDS[args.flow], args.cprofile, args.sql)
    if args.flow == "browser":
        browser(meter, args)
        meter.report(args.count, "a survey")
    else:
        sold = rush(meter, args)
        meter.report(sold, "a sold order")
    return 0


def browser(meter: Meter, args: argparse.Namespace) -> None:
    """Each respondent as the locust respondent: first page, an autosave and "Next" on each
    page, "Submit" and the thank-you page."""
    tokens_path = Path(os.environ["BENCH_TOKENS"])
    tokens = tokens_path.read_text().split()
    pages = json.loads(tokens_path.with_suffix(".answers.json").read_text())["pages"]
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "survey"}
    for n, token in enumerate(tokens):
        meter.measuring = n >= args.warm
        path = f"/s/{token}/"
        html = meter("first page", path).content.decode()
        csrf = CSRF.search(html).group(1)  # type: ignore[union-attr]
        for number, answers in enumerate(pages):
            fields = {"csrfmiddlewaretoken": csrf, **answers, "page": str(number)}
            body = urlencode({**fields, "action": "stay", "@shown": shown_on_page(html)})
            meter("autosave", path, body, HTTP_X_AUTOSAVE="1")
            body = urlencode({**fields, "action": "next"})
            html = meter("next", path, body, **htmx).content.decode()
        body = urlencode({"csrfmiddlewaretoken": csrf, "action": "submit"})
        reply = meter("submit", path, body, **htmx)
        assert reply.status_code == 204, reply.status_code
        meter("thank you", path)


def rush(meter: Meter, args: argparse.Namespace) -> int:
    """Each buyer as the rush's: the shop, one ticket reserved (or turned away: sold out), the
    order page and the order confirmed by invoice. Buyers in turn, not at once: the CPU of each
    request, not the lock's waits. The number of orders confirmed while measuring."""
    from bench.tickets import DETAILS

    setup = json.loads(os.environ["BENCH_RUSH"])
    shop = f"/prisutdeling/{setup['slug']}/billetter/"
    sold = 0
    buyers = args.count + args.warm  # as many seats: as many buyers again find them gone
    for n in range(2 * buyers):
        meter.measuring = n % buyers >= args.warm
        meter.client.cookies.clear()
        meter("shop", shop)
        token = meter.client.cookies["csrftoken"].value
        fields = {f"qty-{setup['type']}": "1", "client_key": f"b{n}", "csrfmiddlewaretoken": token}
        kind = "reserve" if n < buyers else "sold out"
        reply = meter(kind, shop, urlencode(fields), HTTP_REFERER=f"http://127.0.0.1{shop}")
        if reply.status_code != 302:
            assert kind == "sold out", reply.status_code
            continue
        order = reply["Location"]
        meter("order page", order)
        body = urlencode({**DETAILS, "csrfmiddlewaretoken": token})
        confirmed = meter("confirm", order, body, HTTP_REFERER=f"http://127.0.0.1{order}")
        assert confirmed.status_code == 302, confirmed.status_code
        sold += meter.measuring
    return sold


if __name__ == "__main__":
    sys.exit(main())
