"""Build the deterministic demo dataset: accounts, then each app's ``demo.seed``."""

import time
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import translation


class Command(BaseCommand):
    help = "Create demo accounts and a Norwegian demo dataset (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when DJANGO_ENV=production (demo passwords are public).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError("Refusing to create demo accounts in production.")
        started = time.perf_counter()
        logins: list[str] = []
        with translation.override("nb"), transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                module.seed(stdout_lines=logins)
        elapsed = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {elapsed:.1f} s."))
        self.stdout.write("Demo logins (username / password):")
        for line in logins:
            self.stdout.write(line)
