"""Locust scenarios; bench/run.py picks one with --tags.

The respondent scenarios read ``BENCH_TOKENS`` (one invitation token a line, written by
``bench/seed.py``) and use each token once: one token is one respondent completing the survey.
"""

import json
import os
import random
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, constant_pacing, tag, task
from locust.exception import RescheduleTask, StopUser

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_tokens: Iterator[str] | None = None
_answers: dict[str, Any] | None = None
_api_body: bytes | None = None


class BaselineUser(FastHttpUser):
    """A client that hits the bare one-INSERT view as fast as it can."""

    wait_time = constant(0)

    @tag("baseline")
    @task
    def insert(self) -> None:
        self.client.post("/bench/insert", name="baseline: one INSERT")


class RespondApiUser(FastHttpUser):
    """A respondent whose client posts the whole questionnaire in one JSON request (the
    `api-respond-submit` endpoint): one request is one completed survey."""

    wait_time = constant(0)

    @tag("respond-api")
    @task
    def complete(self) -> None:
        token = next_token()
        with self.client.post(
            f"/api/v1/respond/{token}/submit/",
            data=api_body(),
            headers={"Content-Type": "application/json"},
            name="api: submit",
            catch_response=True,
        ) as response:
            # 202: stored (committed) and queued to be saved as a response: a completion.
            if response.status_code != 202:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")


class RespondPagesUser(FastHttpUser):
    """A respondent in a browser at /s/<token>/: each page is loaded, every answer is
    autosaved as htmx does it (the whole form, ``action=stay``), "Next" posts the page and
    follows the redirect, and "Submit answers" ends it on the thank-you page."""

    wait_time = constant(0)

    @tag("respond-pages")
    @task
    def complete(self) -> None:
        path = f"/s/{next_token()}/"
        csrf = self.page(path, "pages: page")
        for page in answers()["pages"]:
            so_far: dict[str, str] = {}
            for key, value in page.items():
                so_far[key] = value
                self.post(path, {**so_far, "action": "stay"}, csrf, "pages: autosave", 200)
            self.post(path, {**page, "action": "next"}, csrf, "pages: next", 302)
            csrf = self.page(path, "pages: page")
        self.post(path, {"action": "submit"}, csrf, "pages: submit", 302)
        with self.client.get(path, name="pages: thank you", catch_response=True) as response:
            if response.status_code != 200 or "survey-form" in (response.text or ""):
                response.failure(f"{response.status_code}: not the thank-you page")

    def page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            found = CSRF.search(response.text or "")
            if response.status_code != 200 or not found:
                response.failure(f"{response.status_code}: no form")
                raise RescheduleTask  # this respondent gives up; the next one starts
            return found.group(1)

    def post(self, path: str, data: dict[str, str], csrf: str, name: str, expect: int) -> None:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if data["action"] == "stay":
            headers |= {"HX-Request": "true", "HX-Current-URL": path, "HX-Target": "questions"}
        with self.client.post(
            path,
            data=urlencode({"csrfmiddlewaretoken": csrf, **data}),
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code} (expected {expect})")
                raise RescheduleTask


def next_token() -> str:
    global _tokens
    if _tokens is None:
        _tokens = iter(Path(os.environ["BENCH_TOKENS"]).read_text().split())
    token = next(_tokens, None)
    if token is None:
        raise StopUser  # every seeded respondent has answered; run.py reports it
    return token


def api_body() -> bytes:
    """The API's request body, encoded once: every respondent sends the same answers, and
    encoding them is the client's work, not the server's."""
    global _api_body
    if _api_body is None:
        _api_body = json.dumps({"answers": answers()["api"]}).encode()
    return _api_body


def answers() -> dict[str, Any]:
    global _answers
    if _answers is None:
        path = Path(os.environ["BENCH_TOKENS"]).with_suffix(".answers.json")
        _answers = json.loads(path.read_text())
    return _answers


class LivePhoneUser(FastHttpUser):
    """A phone on the award night's live page (bench/live.py): the page carried the feed's ETag
    (``BENCH_LIVE_ETAG``); it polls the feed every 2 s with it, as the page's script does.
    When the feed first changes it fires "live: reveal seen" with how long after the reveal's
    commit (``BENCH_REVEAL_FILE``) that was."""

    wait_time = constant_pacing(2)
    etag = ""
    seen = False

    def on_start(self) -> None:
        self.etag = os.environ["BENCH_LIVE_ETAG"]
        gevent.sleep(random.random() * 2)  # phones do not poll in step

    @task
    def poll(self) -> None:
        headers = {"If-None-Match": self.etag} if self.etag else {}
        with self.client.get(
            os.environ["BENCH_LIVE_PATH"], headers=headers, name="live: poll", catch_response=True
        ) as response:
            if response.status_code not in (200, 304):
                response.failure(f"{response.status_code}")
                return
            etag = response.headers.get("ETag", "")
            changed = bool(self.etag) and etag != self.etag and response.status_code == 200
            self.etag = etag or self.etag
        if changed and not self.seen:
            self.seen = True
            self.report_reveal(time.time())

    def report_reveal(self, seen_at: float) -> None:
        path = Path(os.environ["BENCH_REVEAL_FILE"])
        for _ in range(100):  # the reveal's process writes the file just after its commit
            if path.exists() and path.read_text():
                break
            gevent.sleep(0.05)
        else:
            return
        committed_at = float(path.read_text())
        self.environment.events.request.fire(
            request_type="REVEAL",
            name="live: reveal seen",
            response_time=max(0.0, (seen_at - committed_at) * 1000),
            response_length=0,
            exception=None,
            context={},
        )
