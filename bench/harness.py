"""What the benchmark targets share (``make bench``, bench/run.py): the servers in production
shape, the bare baseline, the load gate, locust, and the one table of targets.

- **Subject**: gunicorn serving ``bench.wsgi`` (the site as ``kundeservice/wsgi.py`` serves it,
  with the live feed's 304 shortcut) and, where the path needs one, a Celery worker started as
  docker-compose starts it, on the same machine, with ``REDIS_URL`` set and PostgreSQL.
- **Baseline**: gunicorn serving ``bench.bare.wsgi``, a separate Django project with no app, no
  middleware, no session and one view doing one INSERT, with exactly ``GUNICORN_ARGS``.
- **Load gate**: before each target the machine's CPU use is sampled for a few seconds while
  nothing of the benchmark runs; a figure taken when more than ``QUIET_LOAD`` cores were busy
  is marked *noisy* in the table, and ``--record`` refuses to write it unless told to keep noisy
  figures (then it writes them marked noisy). The 1-minute load average is printed beside it,
  but it is not the gate: after one target it still counts the benchmark's own work for a
  minute or more.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import PY, ROOT, free_port

BIN = Path(PY).parent
QUIET_LOAD = 1.5
#: The one gunicorn configuration: subject and bare baseline alike (sync workers, as
#: docker-compose's web service; one more process than its 3 because the baseline and the
#: existing figures in bench/RESULTS.md used 4).
GUNICORN_ARGS = ["--workers", "4", "--log-level", "warning", "--preload"]
#: The worker exactly as docker-compose.yml's ``worker`` service runs it.
WORKER_ARGS = ["-A", "kundeservice", "worker", "-Q", "default,mail,aggregation,webhooks"]
WORKER_ARGS += ["--concurrency=4", "--loglevel=warning"]
BASELINE_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_ping (id bigserial PRIMARY KEY, at timestamptz NOT NULL)"
)


# --- Load -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """The machine's load just before a figure was taken."""

    busy: float  # cores busy (user + system + iowait…), sampled while the benchmark was idle
    average: float  # /proc/loadavg, 1 minute

    @property
    def noisy(self) -> bool:
        return self.busy > QUIET_LOAD

    def __str__(self) -> str:
        mark = " NOISY" if self.noisy else ""
        return f"{self.busy:.2f} cores busy (loadavg {self.average:.2f}){mark}"


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait counts as idle
    return sum(fields[:8]), idle


def load_before(seconds: float = 3.0) -> Load:
    """Cores busy over ``seconds`` (call while the benchmark itself is idle)."""
    total0, idle0 = _cpu_times()
    time.sleep(seconds)
    total1, idle1 = _cpu_times()
    share = 1 - (idle1 - idle0) / max(total1 - total0, 1)
    return Load(busy=round(share * (os.cpu_count() or 1), 2), average=os.getloadavg()[0])


def wait_quiet(max_seconds: float) -> Load:
    """Sample the load; while it is noisy, wait (up to ``max_seconds`` in all) and sample again."""
    deadline = time.monotonic() + max_seconds
    load = load_before()
    while load.noisy and time.monotonic() < deadline:
        time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
        load = load_before()
    return load


# --- Rows of the table ------------------------------------------------------------------------


@dataclass
class Row:
    """One target: what the baseline did, what the subject did, their ratio, the goal and
    whether it is met (None: not measured)."""

    target: str
    baseline: str = "-"
    figure: str = "-"
    ratio: str = "-"
    goal: str = ""
    met: bool | None = None
    load: Load | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        if self.met is None:
            return "not run"
        word = "met" if self.met else "MISSED"
        return f"{word} (noisy)" if self.load and self.load.noisy else word


COLUMNS = [("target", 34), ("baseline", 20), ("figure", 34), ("ratio", 8), ("goal", 30)]
COLUMNS += [("verdict", 14), ("load before", 11)]


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    print("", file=out)
    print("  ".join(f"{name:<{w}}" for name, w in COLUMNS), file=out)
    print("  ".join("-" * w for _name, w in COLUMNS), file=out)
    for row in rows:
        load = f"{row.load.busy:.2f}" + ("!" if row.load.noisy else "") if row.load else "-"
        cells = [row.target, row.baseline, row.figure, row.ratio, row.goal, row.verdict, load]
        print("  ".join(f"{c:<{w}}" for c, (_n, w) in zip(cells, COLUMNS, strict=True)), file=out)
    notes = [row for row in rows if row.note]
    if notes:
        print("", file=out)
        for row in notes:
            print(f"{row.target}: {row.note}", file=out)
    print(
        f"\nload before = cores busy in the {3} s before the target started (! = above "
        f"{QUIET_LOAD}: the figure is noisy); machine: {os.cpu_count()} cores",
        file=out,
    )


def markdown(rows: list[Row], command: str, *, keep_noisy: bool) -> tuple[str, list[Row]]:
    """The rows as bench/RESULTS.md table lines, and the noisy rows left out (all kept, marked
    noisy, when ``keep_noisy``)."""
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "| date | command | target | baseline | figure | ratio | goal | verdict | load before |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    refused = []
    for row in rows:
        if row.load and row.load.noisy and not keep_noisy:
            refused.append(row)
            continue
        lines.append(
            f"| {date} | `{command}` | {row.target} | {row.baseline} | {row.figure} | "
            f"{row.ratio} | {row.goal} | {row.verdict} | {row.load or '-'} |"
        )
    return "\n".join(lines) + "\n", refused


# --- Servers ----------------------------------------------------------------------------------


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


@contextlib.contextmanager
def gunicorn(
    app: str,
    env: dict[str, str],
    *,
    probe: str = "/healthz",
    args: tuple[str, ...] | list[str] | None = None,
) -> Iterator[str]:
    """``app`` (``bench.wsgi`` or ``bench.bare.wsgi``) under ``GUNICORN_ARGS`` (or ``args``, for
    the floor experiments of ``bench/floor.py``); yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), app, "--bind", f"127.0.0.1:{port}", *(args or GUNICORN_ARGS)],
        cwd=ROOT,
        env=env,
        start_new_session=True,  # its own process group: stopped as one below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if probe:
            wait_for(base + probe)
        else:
            wait_for_port(port)
        yield base
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a server this harness started: gunicorn's quick shutdown (SIGQUIT: a graceful
    SIGTERM waits for every queued connection, which on a loaded machine outlasts any timeout),
    then SIGKILL to its own process group if it still runs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGQUIT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_port(port: int, timeout: float = 60) -> None:
    from bench.common import answers

    deadline = time.monotonic() + timeout
    while not answers("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listens on {port}")
        time.sleep(0.3)


@contextlib.contextmanager
def bare(env: dict[str, str]) -> Iterator[str]:
    """The bare baseline project on the same database (its ``bench_ping`` table), same gunicorn
    settings; yields its base URL. ``POST /bench/insert`` is its one URL."""
    subprocess.run(
        [PY, "-c", _CREATE_PING],
        check=True,
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"},
    )
    with gunicorn(
        "bench.bare.wsgi", {**env, "DJANGO_SETTINGS_MODULE": "bench.bare.settings"}, probe=""
    ) as base:
        yield base


_CREATE_PING = (
    "import django; django.setup(); from django.db import connection; "
    f"connection.cursor().execute('{BASELINE_TABLE}')"
)


@contextlib.contextmanager
def celery_worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A Celery worker as docker-compose runs it, on the benchmark's Redis database; waits until
    it answers a ping."""
    if not env.get("REDIS_URL"):
        raise SystemExit("the production shape needs Redis (REDIS_URL): start redis-server")
    log = tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [str(BIN / "celery"), *WORKER_ARGS], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    try:
        ping = (
            "import django, sys; django.setup(); from kundeservice.celery import app; "
            "sys.exit(0 if app.control.ping(timeout=1.0) else 1)"
        )
        deadline = time.monotonic() + 60
        while subprocess.run([PY, "-c", ping], cwd=ROOT, env=env, check=False).returncode:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the Celery worker did not start")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        text = Path(log.name).read_text(errors="replace")
        Path(log.name).unlink()
        if "ERROR" in text or "Traceback" in text:
            print(f"worker log (tail):\n{text[-3000:]}", file=sys.stderr)


# --- locust -----------------------------------------------------------------------------------


@dataclass
class Stats:
    """locust's final statistics of one run."""

    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    started: float  # time.time() of the first request
    elapsed: float
    by_name: dict[str, dict[str, Any]]
    log: str = ""
    cpu: "CpuSplit | None" = None  # where the CPU went during the run, when measured
    client_cpu: float = 0.0  # CPU seconds locust itself used

    def cpu_per(self, count: float) -> str:
        """The servers' CPU (``cpu``) and locust's, per ``count`` items."""
        if self.cpu is None:
            return "not measured"
        self.cpu.seconds["load generator"] = (
            self.cpu.seconds.get("load generator", 0.0) + self.client_cpu
        )
        self.client_cpu = 0.0  # counted once
        return self.cpu.per(count)

    def named(self, name: str) -> dict[str, Any]:
        return self.by_name.get(name, {"num_requests": 0, "num_failures": 0})

    def percentile_of(self, name: str, share: float) -> float:
        entry = self.by_name.get(name)
        if not entry:
            return 0.0
        return percentile(Counter({int(k): v for k, v in entry["response_times"].items()}), share)


def locust(
    user_class: str,
    host: str,
    env: dict[str, str],
    *,
    users: int,
    seconds: int,
    locustfile: Path = ROOT / "bench" / "locustfile.py",
    spawn_rate: float | None = None,
    reset_stats: bool = False,
    exclude: tuple[str, ...] = (),
) -> Stats:
    """Run ``user_class`` of ``locustfile`` headless against ``host``; its final statistics
    (``exclude``: request names left out of the totals, e.g. markers a scenario fires)."""
    out = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    log_path = out / "locust.log"
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with log_path.open("w") as log:
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(locustfile),
                user_class,
                "--headless",
                "--host",
                host,
                "--users",
                str(users),
                "--spawn-rate",
                str(spawn_rate or users),
                "--run-time",
                f"{seconds}s",
                "--json-file",
                str(out / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                *(["--reset-stats"] if reset_stats else []),
            ],
            check=False,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    entries = json.loads((out / "stats.json").read_text())
    log_text = log_path.read_text()[-3000:]
    for path in out.iterdir():
        path.unlink()
    out.rmdir()
    stats = stats_of(entries, exclude, log_text)
    # locust is this process's child: its CPU is known once it has ended.
    stats.client_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    return stats


def stats_of(entries: list[dict[str, Any]], exclude: tuple[str, ...], log: str) -> Stats:
    counted = [e for e in entries if e["name"] not in exclude]
    times: Counter[int] = Counter()
    for entry in counted:
        times.update({int(ms): n for ms, n in entry["response_times"].items()})
    requests = sum(e["num_requests"] for e in counted)
    started = min((e["start_time"] for e in counted), default=0.0)
    last = max((e["last_request_timestamp"] or 0 for e in counted), default=0.0)
    elapsed = max(last - started, 1e-9)
    return Stats(
        requests=requests,
        failures=sum(e["num_failures"] for e in counted),
        rps=requests / elapsed,
        p50=percentile(times, 0.50),
        p95=percentile(times, 0.95),
        p99=percentile(times, 0.99),
        started=started,
        elapsed=elapsed,
        by_name={e["name"]: e for e in entries},
        log=log,
    )


def percentile(times: Counter[int], share: float) -> float:
    """The response time (ms, as locust rounds it) below which ``share`` of requests fall."""
    total = sum(times.values())
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= share * total:
            return float(ms)
    return 0.0


def baseline_stats(env: dict[str, str], *, users: int, seconds: int) -> Stats:
    """The bare project under locust (``BaselineUser``: one POST after another, no wait)."""
    with bare(env) as base:
        cpu = CpuSplit().start()
        stats = locust("BaselineUser", base, env, users=users, seconds=seconds)
        stats.cpu = cpu.stop()
        return stats


def manage_shell(env: dict[str, str], code: str) -> str:
    """Run ``code`` in ``manage.py shell`` on the benchmark's environment; its output."""
    return subprocess.run(
        [PY, str(ROOT / "manage.py"), "shell", "-c", code],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout


def last_json(output: str) -> dict[str, Any]:
    return dict(json.loads(output.strip().splitlines()[-1]))


# --- Where the CPU went ----------------------------------------------------------------------

#: Process kinds, by a word of the command line (the first that matches wins).
CPU_KINDS = (
    ("locust", "load generator"),
    ("bench/", "load generator"),  # bench/tickets.py's and bench/floor.py's client threads
    ("celery", "worker"),
    ("gunicorn", "web"),
    ("postgres", "postgres"),
    ("redis-server", "redis"),
)


def _cpu_by_kind() -> dict[int, tuple[str, float]]:
    import psutil

    seen: dict[int, tuple[str, float]] = {}
    for process in psutil.process_iter(["pid", "cmdline", "name", "cpu_times"]):
        info = process.info
        words = " ".join(info.get("cmdline") or [info.get("name") or ""])
        kind = next((k for word, k in CPU_KINDS if word in words), None)
        times = info.get("cpu_times")
        if kind is None or times is None:
            continue
        seen[info["pid"]] = (kind, times.user + times.system)
    return seen


@dataclass
class CpuSplit:
    """CPU seconds each kind of process used between ``start()`` and ``stop()`` (processes that
    ended in between are not counted; a benchmark's servers and the database's backends live
    through it)."""

    before: dict[int, tuple[str, float]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def start(self) -> "CpuSplit":
        self.before = _cpu_by_kind()
        return self

    def stop(self) -> "CpuSplit":
        after = _cpu_by_kind()
        totals: Counter[str] = Counter()
        for pid, (kind, used) in after.items():
            totals[kind] += used - self.before.get(pid, (kind, 0.0))[1]
        self.seconds = dict(totals)
        return self

    def per(self, count: float, unit: str = "ms") -> str:
        """Each kind's CPU per ``count`` items (ms), largest first."""
        if not count:
            return "no items"
        parts = sorted(self.seconds.items(), key=lambda item: -item[1])
        return ", ".join(f"{kind} {seconds / count * 1000:.2f} {unit}" for kind, seconds in parts)
