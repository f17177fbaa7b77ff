"""A late autosave racing "Next" on PostgreSQL, each in its own connection: the page saves with
one UPDATE that holds only while the row is as the request read it, and does the save again
under the row lock when it is not (surveys/services/responding.py ``page_save``).

Both requests read the response before either writes, as when the autosave timer fires just as
the respondent presses "Next" with a changed answer. Whatever the order, the respondent ends on
the next page with the answer they moved on with. The control shows the race is real: written
without the compare-and-set, the late autosave's stale answer lands after "Next".
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from unittest import mock

import pytest
from django.db import connections

from surveys.models import Response
from surveys.selectors import questionnaire_structure
from surveys.services import responding
from tests.factories import CompanyFactory, WaveFactory, invite

ROUNDS = 20


def race(rounds: int) -> Counter[tuple[int, str]]:
    """``rounds`` fresh responses on page 1, each raced by a "Next" that answers yes and a late
    autosave of page 1 that still says no; the (page, answer) each ends with."""
    CompanyFactory(slug="fjordbanken")
    wave = WaveFactory()
    structure = questionnaire_structure(questionnaire=wave.questionnaire)
    outcomes: Counter[tuple[int, str]] = Counter()
    for _ in range(rounds):
        token = invite(wave)
        responding.response_for_token(token=token)  # the draft exists, on page 1 (index 0)
        start = threading.Barrier(2)
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(partial(post, token, structure, start), ["next", "stay"]))
        saved = Response.objects.get(pk=responding.response_for_token(token=token).pk)
        outcomes[(saved.page, saved.draft.get("contacted_cs"))] += 1
    return outcomes


def post(token: str, structure: Any, start: threading.Barrier, direction: str) -> None:
    """One request in its own connection: "next" answering yes, or a "stay" (the autosave) of
    the same page still saying no."""
    try:
        # The request has read the response before either request writes.
        read = responding.response_for_token(token=token)
        start.wait()
        responding.page_save(
            response=read,
            structure=structure,
            data={"contacted_cs": ["yes" if direction == "next" else "no"]},
            direction=direction,
            page=0,
        )
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_a_late_autosave_never_changes_the_answer_moved_on_with() -> None:
    assert race(ROUNDS) == Counter({(1, "yes"): ROUNDS})


@pytest.mark.django_db(transaction=True)
def test_control_without_the_compare_and_set_the_stale_autosave_lands() -> None:
    def unconditional(response: Response, fields: list[str], unchanged_since: Any) -> bool:
        response.save(update_fields=fields)
        return True

    with mock.patch.object(responding, "_save_if_unchanged", unconditional):
        outcomes = race(ROUNDS)
    assert outcomes[(1, "no")] >= 1, outcomes
