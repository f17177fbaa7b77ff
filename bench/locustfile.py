"""Locust scenarios; bench/run.py picks one with --tags."""

from locust import FastHttpUser, constant, tag, task


class BaselineUser(FastHttpUser):
    """A client that hits the bare one-INSERT view as fast as it can."""

    wait_time = constant(0)

    @tag("baseline")
    @task
    def insert(self) -> None:
        self.client.post("/bench/insert", name="baseline: one INSERT")
