"""A jury category: weighted criteria, computed by hand; a conflicted member's scores never
count, and the member cannot score that nominee.

Criteria: "Kreativitet" weight 2 on 1–10, "Effekt" weight 1 on 1–5. A member's score for a
nominee is the weighted mean of the criteria on 0–100: (2·(s₁−1)/9·100 + 1·(s₂−1)/4·100) / 3.

- Anna scores Alfa 10 and 5: (2·100 + 100)/3 = 100; Beta 4 and 3: (2·33.33 + 50)/3 = 38.89.
- Bo scores Alfa 7 and 2: (2·66.67 + 25)/3 = 52.78; Beta 1 and 1: 0.
- Cato declared a conflict with Alfa: scores Beta 10 and 5 = 100; cannot score Alfa.
- Alfa: (100 + 52.78)/2 = 76.39 by 2 members; Beta: (38.89 + 0 + 100)/3 = 46.30 by 3.
"""

from decimal import Decimal

import pytest

from awards.models import CategoryKind, Placement
from awards.selectors import jury_progress, jury_results, nominees_for_member
from awards.services.categories import category_confirm
from awards.services.jury import (
    conflict_declare,
    criterion_add,
    member_add,
    nominee_add,
    scores_save,
    scoring_lock,
)
from kundeservice.errors import ConflictError, DomainError
from tests.awards.factories import AwardEventFactory
from tests.factories import CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jury():
    from awards.models import AwardCategory

    category = AwardCategory.objects.create(
        event=AwardEventFactory(), name="Beste på sosiale medier", kind=CategoryKind.JURY
    )
    creativity = criterion_add(category=category, name="Kreativitet", weight=Decimal(2))
    effect = criterion_add(category=category, name="Effekt", weight=Decimal(1), scale_max=5)
    alfa = nominee_add(category=category, company=CompanyFactory(name="Alfa"))
    beta = nominee_add(category=category, name="Beta-kampanjen", justification="Morsom.")
    members = {}
    for name in ("anna", "bo", "cato"):
        UserFactory(username=name)
        members[name] = member_add(category=category, username=name)
    conflict_declare(member=members["cato"], nominee=alfa, reason="Kunde")
    scores = {
        ("anna", alfa): (10, 5),
        ("anna", beta): (4, 3),
        ("bo", alfa): (7, 2),
        ("bo", beta): (1, 1),
        ("cato", beta): (10, 5),
    }
    for (member, nominee), (first, second) in scores.items():
        scores_save(
            member=members[member],
            nominee=nominee,
            scores={creativity.pk: first, effect.pk: second},
        )
    return category, members, alfa, beta, creativity, effect


def test_weighted_scores_of_the_members_without_a_conflict(jury) -> None:
    category, _members, alfa, beta, _c, _e = jury
    results = {r.nominee: r for r in jury_results(category)}
    assert results[alfa].score == pytest.approx((100 + (2 * 200 / 3 + 25) / 3) / 2)
    assert (results[alfa].scored_by, results[alfa].members) == (2, 2)
    assert results[beta].score == pytest.approx(((2 * 100 / 3 + 50) / 3 + 0 + 100) / 3)
    assert results[beta].scored_by == 3


def test_a_conflicted_member_neither_sees_nor_scores_the_nominee(jury) -> None:
    category, members, alfa, beta, creativity, _effect = jury
    assert nominees_for_member(members["cato"]) == [beta]
    with pytest.raises(ConflictError):
        scores_save(member=members["cato"], nominee=alfa, scores={creativity.pk: 1})
    assert {p.member.user.username: (p.scored, p.to_score) for p in jury_progress(category)} == {
        "anna": (2, 2),
        "bo": (2, 2),
        "cato": (1, 1),
    }


def test_scores_outside_the_scale_change_nothing(jury) -> None:
    _category, members, alfa, _beta, creativity, effect = jury
    with pytest.raises(DomainError):
        scores_save(member=members["anna"], nominee=alfa, scores={creativity.pk: 3, effect.pk: 9})
    results = {r.nominee: r for r in jury_results(_category)}
    assert results[alfa].score == pytest.approx((100 + (2 * 200 / 3 + 25) / 3) / 2)


def test_a_locked_jury_is_confirmed_with_its_top_nominee(jury) -> None:
    category, members, alfa, _beta, creativity, _effect = jury
    manager = UserFactory(roles=["award_manager"])
    with pytest.raises(ConflictError):
        category_confirm(category=category, by=manager)  # scoring still open
    scoring_lock(category=category, locked=True, by=manager)
    with pytest.raises(ConflictError):
        scores_save(member=members["anna"], nominee=alfa, scores={creativity.pk: 1})
    category_confirm(category=category, by=manager)
    winner = Placement.objects.get(category=category, is_winner=True)
    assert winner.nominee == alfa
    assert winner.n == 2  # scored by two members
