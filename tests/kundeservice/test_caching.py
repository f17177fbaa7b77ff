"""The public cache's visibility versions live in the database and move with the change."""

import pytest
from django.db import transaction

from kundeservice.caching import visibility_bump, visibility_version

pytestmark = pytest.mark.django_db


def test_a_bump_starts_a_new_version_and_rolls_back_with_its_change() -> None:
    before = visibility_version("episodes")
    visibility_bump("episodes")
    visibility_bump("episodes")
    assert visibility_version("episodes") == before + 2

    def failing_change() -> None:
        with transaction.atomic():
            visibility_bump("episodes")
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert visibility_version("episodes") == before + 2


def test_names_are_counted_apart() -> None:
    awards = visibility_version("awards")
    visibility_bump("results")
    assert visibility_version("awards") == awards
