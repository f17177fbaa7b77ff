"""Agreement between observers: hand-computed cases, and statsmodels on random data."""

from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

from surveys.agreement import Rating, drift, kappa, pairwise_agreement, question_agreement

NA = "__na__"

# Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories.
# P_i per subject and kappa = 0.210 are the published hand computation.
FLEISS_TABLE = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]
FLEISS_P = [1.000, 0.253, 0.308, 0.440, 0.330, 0.462, 0.242, 0.176, 0.286, 0.286]


def ratings_from_table(table: list[list[int]]) -> tuple[list[Rating], list[str]]:
    """14 raters; rater r puts subject i in the category whose running count covers r."""
    keys = [f"q{i + 1}" for i in range(len(table))]
    raters = sum(table[0])
    answers: list[dict[str, str]] = [{} for _ in range(raters)]
    for key, counts in zip(keys, table, strict=True):
        r = 0
        for category, n in enumerate(counts):
            for _ in range(n):
                answers[r][key] = f"c{category + 1}"
                r += 1
    return [Rating(rater=i, answers=a) for i, a in enumerate(answers)], keys


def test_fleiss_published_example() -> None:
    ratings, keys = ratings_from_table(FLEISS_TABLE)
    result = kappa(ratings, keys)
    assert result.value == pytest.approx(0.210, abs=0.0005)
    assert (result.questions, result.raters, result.left_out) == (10, 14, ())
    percents = [q.percent for q in question_agreement(ratings, keys)]
    assert percents == pytest.approx([100 * p for p in FLEISS_P], abs=0.06)


def test_a_small_calibration_by_hand() -> None:
    ratings = [
        Rating(
            rater="kari", answers={"greeting": "yes", "valued": "yes", "would_buy": NA}, score=80
        ),
        Rating(rater="ola", answers={"greeting": "yes", "valued": "no", "would_buy": NA}, score=60),
        Rating(
            rater="per", answers={"greeting": "no", "valued": "no", "would_buy": "yes"}, score=40
        ),
    ]
    keys = ["greeting", "valued", "would_buy"]
    greeting, valued, would_buy = question_agreement(ratings, keys)
    # Three pairs; one agrees (kari–ola on greeting).
    assert greeting.percent == pytest.approx(100 / 3)
    assert (greeting.modal, greeting.modal_share) == ("yes", pytest.approx(200 / 3))
    assert valued.counts == {"yes": 1, "no": 2}
    assert would_buy.modal == NA  # N/A is an answer like any other
    # Kappa by hand: P̄ = 1/3; categories yes 4, no 3, N/A 2 of 9 → P̄e = (16+9+4)/81.
    pe = 29 / 81
    assert kappa(ratings, keys).value == pytest.approx((1 / 3 - pe) / (1 - pe))

    by_rater = {d.rater: d for d in drift(ratings, ["greeting", "valued", "would_buy"], NA)}
    kari = by_rater["kari"]
    assert kari.peer_mean == 50
    assert kari.difference == 30
    assert kari.rates == pytest.approx({"yes": 200 / 3, "no": 0, "na": 100 / 3})
    # Peers ola and per: yes 2, no 3, N/A 1 of 6.
    assert kari.peer_rates == pytest.approx({"yes": 100 / 3, "no": 50, "na": 100 / 6})
    assert by_rater["per"].difference == -30


def test_a_question_not_everyone_answered_is_left_out_of_kappa_and_named() -> None:
    ratings = [
        Rating(rater=1, answers={"a": "yes", "b": "no", "c": "yes"}),
        Rating(rater=2, answers={"a": "yes", "b": "yes"}),
    ]
    result = kappa(ratings, ["a", "b", "c"])
    assert result.left_out == ("c",)
    assert result.questions == 2
    agreement_c = question_agreement(ratings, ["c"])[0]
    assert (agreement_c.n, agreement_c.percent) == (1, None)


def test_kappa_is_undefined_when_everyone_always_gives_one_answer() -> None:
    ratings = [Rating(rater=r, answers={"a": "yes", "b": "yes"}) for r in range(3)]
    assert kappa(ratings, ["a", "b"]).value is None
    assert question_agreement(ratings, ["a"])[0].percent == 100
    assert kappa(ratings[:1], ["a", "b"]).value is None  # one observer: nothing to compare


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda raters: st.lists(
            st.lists(
                st.sampled_from(["yes", "no", NA, "1", "2"]), min_size=raters, max_size=raters
            ),
            min_size=2,
            max_size=10,
        )
    )
)
def test_kappa_and_agreement_match_statsmodels_and_brute_force(subjects: list[list[str]]) -> None:
    keys = [f"q{i}" for i in range(len(subjects))]
    raters = len(subjects[0])
    ratings = [
        Rating(rater=r, answers={k: row[r] for k, row in zip(keys, subjects, strict=True)})
        for r in range(raters)
    ]
    table, _categories = aggregate_raters(subjects)
    chance = ((table.sum(axis=0) / table.sum()) ** 2).sum()
    ours = kappa(ratings, keys).value
    if chance == pytest.approx(1.0):
        assert ours is None
    else:
        assert ours == pytest.approx(fleiss_kappa(table, method="fleiss"))
        assert ours <= 1.0
    for row, result in zip(subjects, question_agreement(ratings, keys), strict=True):
        pairs = list(combinations(row, 2))
        assert result.percent == pytest.approx(100 * sum(a == b for a, b in pairs) / len(pairs))


def test_pairwise_agreement_needs_two_answers() -> None:
    assert pairwise_agreement([1]) is None
    assert pairwise_agreement([2, 0]) == 100
    assert pairwise_agreement([1, 1]) == 0
