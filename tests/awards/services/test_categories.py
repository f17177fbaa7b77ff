"""Confirming, overriding and revealing: every decision logged, nothing public changing until
the manager confirms again."""

import datetime

import pytest
from django.utils import timezone

from awards.models import AwardDecision, DecisionAction, EventState, Placement, TieBreak
from awards.selectors import confirmation_drift, public_event
from awards.services.categories import (
    categories_from_template,
    category_confirm,
    category_reveal,
    category_unreveal,
)
from awards.services.events import event_state_set
from kundeservice.errors import ConflictError, DomainError
from surveys.models import ResultRow, ResultSet, ResultSetStatus
from tests.awards.factories import AwardEventFactory, published_league, rule_category
from tests.awards.test_finalists import GOLDEN
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return UserFactory(roles=["award_manager"])


@pytest.fixture
def setup():
    wave, industry, companies = published_league(GOLDEN)
    category = rule_category(AwardEventFactory(), wave, industry, minimum_n=20)
    return category, companies


def test_confirming_stores_the_finalists_figures_and_logs_who_and_what(setup, manager) -> None:
    category, _companies = setup
    category_confirm(category=category, by=manager)
    placements = list(Placement.objects.filter(category=category))
    assert [p.company.name for p in placements] == ["Beta", "Alfa", "Gamma"]
    assert [p.is_winner for p in placements] == [True, False, False]
    assert (placements[0].value, placements[0].n, placements[0].ci_low) == (79.96, 60, 76)
    actions = list(
        AwardDecision.objects.filter(category=category)
        .order_by("id")
        .values_list("action", "actor")
    )
    assert actions == [
        (DecisionAction.COMPUTED, manager.pk),
        (DecisionAction.CONFIRMED, manager.pk),
    ]


def test_another_winner_needs_a_reason_and_is_logged_as_an_override(setup, manager) -> None:
    category, companies = setup
    with pytest.raises(DomainError):
        category_confirm(category=category, by=manager, winner_company_id=companies["Alfa"].pk)
    with pytest.raises(DomainError):  # not a finalist
        category_confirm(
            category=category, by=manager, winner_company_id=companies["Zeta"].pk, reason="x"
        )
    category_confirm(
        category=category, by=manager, winner_company_id=companies["Alfa"].pk, reason="Juryen"
    )
    assert Placement.objects.get(category=category, is_winner=True).company == companies["Alfa"]
    override = AwardDecision.objects.get(category=category, action=DecisionAction.OVERRIDDEN)
    assert override.reason == "Juryen"


def test_a_tie_left_to_the_jury_cannot_be_confirmed_without_a_choice(manager) -> None:
    wave, industry, companies = published_league(GOLDEN)
    category = rule_category(
        AwardEventFactory(), wave, industry, minimum_n=20, tie_break=TieBreak.JURY
    )
    with pytest.raises(DomainError) as refused:
        category_confirm(category=category, by=manager)
    assert "winner" in refused.value.message_dict
    category_confirm(
        category=category, by=manager, winner_company_id=companies["Alfa"].pk, reason="Jury"
    )
    assert category.placements.get(is_winner=True).company == companies["Alfa"]


def test_new_results_after_confirming_are_flagged_and_change_nothing_public(setup, manager) -> None:
    category, companies = setup
    category_confirm(category=category, by=manager)
    assert confirmation_drift(category) is None
    old = ResultSet.objects.get(is_current=True)
    new = ResultSet.objects.create(
        wave=old.wave, cutoff=old.cutoff, is_final=True, status=ResultSetStatus.COMPLETE
    )
    for row in old.rows.all():
        row.pk, row.result_set = None, new
        if row.company == companies["Gamma"] and row.measure == "score":
            row.value, row.ci_low, row.ci_high = 85.0, 82.0, 88.0
        row.save()
    ResultSet.objects.filter(pk=old.pk).update(is_current=False)
    ResultSet.objects.filter(pk=new.pk).update(is_current=True)
    category.refresh_from_db()
    drift = confirmation_drift(category)
    assert drift is not None
    assert any("Gamma" in change for change in drift.changes)
    shown = public_event(category.event).categories[0]
    assert [p.company.name for p in shown.finalists] == ["Beta", "Alfa", "Gamma"]
    assert shown.finalists[2].value == 70.0  # the confirmed figure, not the new one


def test_reveal_needs_a_live_night_is_logged_and_undone_only_within_a_minute(
    setup, manager
) -> None:
    category, _companies = setup
    with pytest.raises(ConflictError):
        category_reveal(category=category, by=manager)  # not confirmed, not live
    category_confirm(category=category, by=manager)
    with pytest.raises(ConflictError):
        category_reveal(category=category, by=manager)  # not live
    event_state_set(event=category.event, state=EventState.LIVE, by=manager)
    assert public_event(category.event).categories[0].winner is None
    category_reveal(category=category, by=manager)
    category_reveal(category=category, by=manager)  # a second press reveals once
    assert AwardDecision.objects.filter(action=DecisionAction.REVEALED).count() == 1
    assert public_event(category.event).categories[0].winner.company.name == "Beta"
    category_unreveal(category=category, by=manager, reason="Feil kategori")
    assert public_event(category.event).categories[0].winner is None
    category_reveal(category=category, by=manager)
    type(category).objects.filter(pk=category.pk).update(
        revealed_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    with pytest.raises(ConflictError):
        category_unreveal(category=category, by=manager)
    with pytest.raises(ConflictError):
        category_confirm(category=category, by=manager)  # revealed: permanent


def test_a_template_builds_the_nights_standard_categories(setup) -> None:
    category, _companies = setup
    made = categories_from_template(event=category.event, wave_id=category.wave_id)
    names = [c.name for c in made]
    assert any("overall" in n or "totalt" in n.lower() for n in names)
    assert any("Bank" in n for n in names)
    assert all(c.measure == "score" for c in made)


def test_finalists_public_only_from_their_time(setup, manager) -> None:
    category, _companies = setup
    category_confirm(category=category, by=manager)
    event = category.event
    event.finalists_public_at = timezone.now() + datetime.timedelta(hours=1)
    event.save()
    assert public_event(event).categories[0].finalists == []
    assert public_event(event, now=event.finalists_public_at).categories[0].finalists
    assert public_event(event, manager=True).categories[0].winner is not None
    assert ResultRow.objects.exists()
