"""How well observers agree when they score the same dialogue (calibration). Pure: no Django.

Each observer's rating is a mapping of question key → answer category (an option code, a scale
point, or the N/A marker, which counts as a category of its own); a question the observer did not
answer (hidden by branching, or optional) is simply absent.

- **Per question**: percent agreement, the share of pairs of observers who gave the same answer
  (Fleiss' P_i), and the most common answer with its share.
- **Overall**: Fleiss' kappa over the questions every observer answered, from statsmodels
  (``statsmodels.stats.inter_rater.fleiss_kappa``). We use Fleiss' kappa rather than
  Krippendorff's alpha because statsmodels is a widely used, well-maintained library, and an
  exercise gives the same raters the same questions: a question hidden for someone is left out
  of kappa (and named) rather than needing alpha's treatment of missing data. Kappa is undefined
  when fewer than two observers or two questions remain, or when every answer is the same
  category (chance agreement is then 1); it is ``None`` then.
- **Drift per observer**: their score against the mean of their peers' scores, and their shares
  of yes, no and N/A on yes/no questions against the peers' pooled shares.
"""

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

YES, NO = "yes", "no"


@dataclass(frozen=True)
class Rating:
    """One observer's scoring of the dialogue."""

    rater: Hashable
    answers: Mapping[str, Hashable]
    score: float | None = None


@dataclass(frozen=True)
class QuestionAgreement:
    key: str
    n: int
    counts: dict[Hashable, int]
    percent: float | None
    modal: Hashable | None
    modal_share: float | None


@dataclass(frozen=True)
class Kappa:
    value: float | None
    questions: int
    raters: int
    left_out: tuple[str, ...]


@dataclass(frozen=True)
class Drift:
    rater: Hashable
    score: float | None
    peer_mean: float | None
    difference: float | None
    answered: int
    rates: dict[str, float | None]
    peer_rates: dict[str, float | None]


def pairwise_agreement(counts: Sequence[int]) -> float | None:
    """Share of rater pairs giving the same answer, × 100 (None with fewer than two raters)."""
    n = sum(counts)
    if n < 2:
        return None
    return 100.0 * sum(c * (c - 1) for c in counts) / (n * (n - 1))


def question_agreement(ratings: Sequence[Rating], keys: Sequence[str]) -> list[QuestionAgreement]:
    """Agreement on each question in ``keys``, over the observers who answered it."""
    result = []
    for key in keys:
        counts = Counter(r.answers[key] for r in ratings if key in r.answers)
        n = sum(counts.values())
        modal, top = _modal(counts)
        result.append(
            QuestionAgreement(
                key=key,
                n=n,
                counts=dict(counts),
                percent=pairwise_agreement(list(counts.values())),
                modal=modal,
                modal_share=100.0 * top / n if n else None,
            )
        )
    return result


def kappa(ratings: Sequence[Rating], keys: Sequence[str]) -> Kappa:
    """Fleiss' kappa with the questions as subjects, over those every observer answered."""
    complete = [k for k in keys if all(k in r.answers for r in ratings)]
    left_out = tuple(k for k in keys if k not in complete)
    if len(ratings) < 2 or len(complete) < 2:
        return Kappa(value=None, questions=len(complete), raters=len(ratings), left_out=left_out)
    table = count_table([[r.answers[k] for r in ratings] for k in complete])
    return Kappa(
        value=_fleiss(table), questions=len(complete), raters=len(ratings), left_out=left_out
    )


def count_table(subjects: Sequence[Sequence[Hashable]]) -> np.ndarray:
    """Subjects × categories: how many raters put each subject in each category."""
    categories = sorted({c for row in subjects for c in row}, key=repr)
    column = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(subjects), len(categories)), dtype=int)
    for i, row in enumerate(subjects):
        for category in row:
            table[i, column[category]] += 1
    return table


def drift(ratings: Sequence[Rating], yes_no_keys: Sequence[str], na: Hashable) -> list[Drift]:
    """Each observer against their peers: mean score, and yes/no/N/A shares on yes/no items."""
    result = []
    for rating in ratings:
        peers = [r for r in ratings if r is not rating]
        peer_scores = [r.score for r in peers if r.score is not None]
        peer_mean = sum(peer_scores) / len(peer_scores) if peer_scores else None
        own = [rating.answers[k] for k in yes_no_keys if k in rating.answers]
        pooled = [r.answers[k] for r in peers for k in yes_no_keys if k in r.answers]
        result.append(
            Drift(
                rater=rating.rater,
                score=rating.score,
                peer_mean=peer_mean,
                difference=(
                    rating.score - peer_mean
                    if rating.score is not None and peer_mean is not None
                    else None
                ),
                answered=len(own),
                rates=_rates(own, na),
                peer_rates=_rates(pooled, na),
            )
        )
    return result


def _rates(answers: Sequence[Hashable], na: Hashable) -> dict[str, float | None]:
    n = len(answers)
    counts = Counter(answers)
    return {
        name: (100.0 * counts[value] / n if n else None)
        for name, value in ((YES, YES), (NO, NO), ("na", na))
    }


def _modal(counts: Counter[Hashable]) -> tuple[Hashable | None, int]:
    if not counts:
        return None, 0
    top = max(counts.values())
    # Ties: the answer given first wins, so the report is stable.
    return next(c for c, n in counts.items() if n == top), top


def _fleiss(table: np.ndarray) -> float | None:
    n = table.sum(axis=1)[0]
    p = table.sum(axis=0) / table.sum()
    if n < 2 or math.isclose(float((p * p).sum()), 1.0):
        return None  # one category only: chance agreement is 1 and kappa is undefined
    # Imported here: statsmodels brings SciPy, seconds of start-up no other page needs.
    from statsmodels.stats.inter_rater import fleiss_kappa

    return float(fleiss_kappa(table, method="fleiss"))
