"""Benchmark runner (`make bench`): starts gunicorn on PostgreSQL, drives it with locust and
prints a table of figures. Record what it prints in bench/RESULTS.md with the command.

    make bench                      # every scenario
    make bench ARGS="baseline -t 20"  # one scenario, 20 s
"""

import argparse
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BIN = Path(PY).parent
BASELINE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_ping (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"
)
COLUMNS = [("scenario", 24), ("requests", 10), ("failures", 10), ("req/s", 10)]
COLUMNS += [("p50 ms", 9), ("p95 ms", 9), ("p99 ms", 9), ("vs baseline", 13)]


@dataclass
class Figure:
    scenario: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("scenarios", nargs="*", default=["baseline"], help="scenarios to run")
    parser.add_argument("-u", "--users", type=int, default=50)
    parser.add_argument("-t", "--seconds", type=int, default=30)
    parser.add_argument("-w", "--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "bench needs PostgreSQL: set DATABASE_URL (make bench finds a local one).",
            file=sys.stderr,
        )
        return 2
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "PYTHONPATH": str(ROOT)}
    manage = [PY, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], check=True, env=env, cwd=ROOT)
    subprocess.run(
        [
            *manage,
            "shell",
            "-c",
            "from django.db import connection; c = connection.cursor(); "
            f"c.execute('{BASELINE_TABLE}')",
        ],
        check=True,
        env=env,
        cwd=ROOT,
    )

    figures = [run_scenario(name, args, env) for name in args.scenarios]
    print_table(figures, args)
    return 0


def run_scenario(name: str, args: argparse.Namespace, env: dict[str, str]) -> Figure:
    port = free_port()
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "bench.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    out = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--host",
                f"http://127.0.0.1:{port}",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--tags",
                name,
                "--csv",
                str(out / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            check=False,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        return read_figure(name, out / "stats_stats.csv")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(out, ignore_errors=True)


def read_figure(name: str, path: Path) -> Figure:
    with path.open() as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
    row = rows[0]
    return Figure(
        scenario=name,
        requests=int(row["Request Count"]),
        failures=int(row["Failure Count"]),
        rps=float(row["Requests/s"]),
        p50=float(row["50%"]),
        p95=float(row["95%"]),
        p99=float(row["99%"]),
    )


def print_table(figures: list[Figure], args: argparse.Namespace) -> None:
    baseline = next((f for f in figures if f.scenario == "baseline"), None)
    print(f"\nlocust: {args.users} users, {args.seconds} s each; ", end="")
    print(f"gunicorn {args.workers} workers; PostgreSQL")
    print(
        "".join(f"{name:<{w}}" if i == 0 else f"{name:>{w}}" for i, (name, w) in enumerate(COLUMNS))
    )
    for f in figures:
        ratio = f"{f.rps / baseline.rps:.0%}" if baseline and baseline.rps else "-"
        print(
            f"{f.scenario:<24}{f.requests:>10}{f.failures:>10}{f.rps:>10.1f}{f.p50:>9.0f}{f.p95:>9.0f}{f.p99:>9.0f}{ratio:>13}"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


if __name__ == "__main__":
    sys.exit(main())
