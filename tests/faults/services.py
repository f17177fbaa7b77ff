"""Private services for the fault tests: a Redis server of their own (stopped, hung and
restarted at will; the shared one is never touched), and the processes of the site (gunicorn,
a Celery worker) pointed at it and at the test database."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.conftest import database_url_for_test_db

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / ".pytest_cache" / "faults"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class PrivateRedis:
    """A ``redis-server`` on a free port in a temporary directory, without persistence unless
    ``appendonly``. ``hang()`` stops the process (SIGSTOP): the kernel still accepts connections
    but nothing ever answers, as with a hung Redis; ``stop()`` shuts it down; ``start()`` and
    ``restart()`` bring it (back) up on the same port."""

    def __init__(self, *, appendonly: bool = False) -> None:
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="ks-redis-")
        self.appendonly = appendonly
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", self.directory, "--save", ""),
                *("--appendonly", "yes" if self.appendonly else "no"),
                *("--logfile", os.path.join(self.directory, "redis.log")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.answers, 20, "redis-server to start")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.settimeout(0.5)
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGCONT)
        self.process.terminate()
        self.process.wait(timeout=20)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def hang(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)

    def close(self) -> None:
        self.stop()  # also wakes a hung one first
        shutil.rmtree(self.directory, ignore_errors=True)


def site_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a process of the site on the test database and ``redis_url``."""
    return {
        **os.environ,
        "DATABASE_URL": database_url_for_test_db(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def _log(name: str) -> "int":
    LOGS.mkdir(parents=True, exist_ok=True)
    return os.open(LOGS / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)


def log_text(name: str) -> str:
    path = LOGS / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


def start_gunicorn(env: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn (threads, as in production) on a free port; returns it and its URL once it
    answers. Its log is ``.pytest_cache/faults/gunicorn.log``."""
    port = free_port()
    log = _log("gunicorn")
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "kundeservice.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(workers)),
            *("--threads", "4", "--worker-class", "gthread", "--timeout", "30"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    os.close(log)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited; see .pytest_cache/faults/gunicorn.log")
        try:
            urllib.request.urlopen(url + "/en/", timeout=2).close()
        except OSError:
            return False
        return True

    wait_for(up, 60, "gunicorn to answer")
    return server, url


def start_worker(
    env: dict[str, str], *, name: str = "worker", pool: str = "solo"
) -> subprocess.Popen[bytes]:
    """A Celery worker on every queue; its log is ``.pytest_cache/faults/<name>.log``. Waits
    until it says it is ready."""
    log = _log(name)
    args = ["--pool=solo"] if pool == "solo" else ["--pool=prefork", "--concurrency=2"]
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "kundeservice", "worker", *args),
            *("-Q", "default,mail,aggregation,webhooks", "-n", f"{name}-{os.getpid()}@%h"),
            *("--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    os.close(log)

    def ready() -> bool:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited at start:\n{log_text(name)[-3000:]}")
        return " ready." in log_text(name)

    wait_for(ready, 60, "the worker to be ready")
    return worker


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
