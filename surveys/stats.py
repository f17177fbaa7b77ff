"""Pure statistics for results: intervals, NPS, weighting summaries, comparisons and ranks.

No Django imports. Every function works from sufficient statistics (n, Σw, Σw², Σwx, Σwx²) so
aggregation can compute them in one database pass and finish here. Each is checked against
statsmodels or scipy in ``tests/surveys/test_stats.py``. ``mean_intervals``, ``shares`` and
``npss`` take columns (arrays) and give thousands of estimates in one call, as aggregation
needs them; ``mean_interval``, ``share`` and ``nps`` are one of those.

Conventions (DOMAIN.md "Statistics"):

- Means of 0–100 scores get a t-interval. With weights, the mean is Σwx/Σw, the spread is the
  weighted variance with the Kish effective sample size n_eff = (Σw)²/Σw² in place of n (so
  se = s/√n_eff and df = n_eff − 1). Unweighted, n_eff = n and this is the textbook interval.
- Shares get a Wilson score interval, on n_eff when weighted.
- NPS = % promoters (9–10) − % detractors (0–6); its standard error is that of the mean of a
  variable scoring +100/0/−100, i.e. 100·√((p + d − (p − d)²)/n).
- Change between waves: Welch's t for means; Newcombe's hybrid score interval (method 10) for
  a difference of shares.
"""

import functools
import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import numpy as np
from scipy import special

# scipy.stats (≈ 50 MB resident) is imported inside welch() and difference_of_estimates(), the
# two functions that use it: every Django process imports this module at start-up (the admin's
# awards selectors), and most never compare waves (issue 18, an XLSForm import's peak memory:
# bench/RESULTS.md).

CONFIDENCE = 0.95


def t_quantile(p: float, df: float) -> float:
    """Student's t quantile: scipy's ufunc, which ``scipy.stats.t.ppf`` wraps (the wrapper's
    argument checking costs ~100 µs a call, and aggregation makes thousands)."""
    return float(special.stdtrit(df, p))


@functools.cache
def z_quantile(p: float) -> float:
    """The standard normal quantile (a handful of distinct values per run: cached)."""
    return float(special.ndtri(p))


class Moments(NamedTuple):
    """Sufficient statistics of a (weighted) sample. (Named tuples, not dataclasses: aggregation
    makes tens of thousands, and a frozen dataclass costs five times as much to create.)"""

    n: int
    sw: float  # Σw
    sw2: float  # Σw²
    swx: float  # Σwx
    swx2: float  # Σwx²

    @classmethod
    def of(cls, values: Sequence[float], weights: Sequence[float] | None = None) -> "Moments":
        w = list(weights) if weights is not None else [1.0] * len(values)
        return cls(
            n=len(values),
            sw=sum(w),
            sw2=sum(x * x for x in w),
            swx=sum(wi * x for wi, x in zip(w, values, strict=True)),
            swx2=sum(wi * x * x for wi, x in zip(w, values, strict=True)),
        )

    @property
    def n_eff(self) -> float:
        return kish_n_eff(self.sw, self.sw2)


class Estimate(NamedTuple):
    value: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None = None
    sd: float | None = None
    n: int = 0
    n_eff: float = 0.0


def kish_n_eff(sum_w: float, sum_w2: float) -> float:
    """Kish's effective sample size (Σw)²/Σw²; 0 for an empty sample."""
    return sum_w * sum_w / sum_w2 if sum_w2 > 0 else 0.0


class Estimates(NamedTuple):
    """Many estimates at once, as float arrays: NaN where ``Estimate`` has None."""

    value: "np.ndarray"
    ci_low: "np.ndarray"
    ci_high: "np.ndarray"
    se: "np.ndarray"
    sd: "np.ndarray"
    n_eff: "np.ndarray"

    def one(self, i: int, n: int) -> Estimate:
        def get(column: "np.ndarray") -> float | None:
            x = float(column[i])
            return None if math.isnan(x) else x

        return Estimate(
            get(self.value),
            get(self.ci_low),
            get(self.ci_high),
            se=get(self.se),
            sd=get(self.sd),
            n=n,
            n_eff=float(self.n_eff[i]),
        )


def _arrays(*columns: "Sequence[float] | np.ndarray") -> list["np.ndarray"]:
    return [np.asarray(c, dtype=np.float64) for c in columns]


def kish_n_effs(sw: "np.ndarray", sw2: "np.ndarray") -> "np.ndarray":
    """``kish_n_eff`` of many samples."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sw2 > 0, sw * sw / np.where(sw2 > 0, sw2, 1.0), 0.0)


def mean_intervals(
    n: "Sequence[float] | np.ndarray",
    sw: "Sequence[float] | np.ndarray",
    sw2: "Sequence[float] | np.ndarray",
    swx: "Sequence[float] | np.ndarray",
    swx2: "Sequence[float] | np.ndarray",
    confidence: float = CONFIDENCE,
) -> Estimates:
    """Means with t-intervals on n_eff − 1 degrees of freedom, of many samples given by their
    moments (column by column): no mean for an empty sample, no interval below 2 responses.
    Aggregation computes thousands at once; ``mean_interval`` is one of them."""
    n, sw, sw2, swx, swx2 = _arrays(n, sw, sw2, swx, swx2)
    nan = np.full(n.shape, np.nan)
    n_eff = kish_n_effs(sw, sw2)
    some = (n > 0) & (sw > 0)
    spread = some & (n >= 2) & (n_eff > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(some, swx / np.where(some, sw, 1.0), nan)
        # Weighted variance about the mean, with the n_eff/(n_eff − 1) bias correction.
        biased = np.maximum(0.0, swx2 / sw - mean * mean)
        variance = biased * n_eff / (n_eff - 1)
        sd = np.where(spread, np.sqrt(np.where(spread, variance, 0.0)), nan)
        se = sd / np.sqrt(n_eff)
        half = special.stdtrit(np.where(spread, n_eff - 1, 1.0), 0.5 + confidence / 2) * se
    return Estimates(mean, mean - half, mean + half, se, sd, n_eff)


def mean_interval(m: Moments, confidence: float = CONFIDENCE) -> Estimate:
    """Mean with a t-interval on n_eff − 1 degrees of freedom (no interval below 2 responses)."""
    if m.n == 0 or m.sw <= 0:
        return Estimate(None, None, None, n=m.n)
    estimates = mean_intervals([m.n], [m.sw], [m.sw2], [m.swx], [m.swx2], confidence)
    return estimates.one(0, m.n)


def wilson_intervals(
    successes: "np.ndarray", n: "np.ndarray", confidence: float = CONFIDENCE
) -> tuple["np.ndarray", "np.ndarray"]:
    """Wilson score intervals of many shares (``n`` > 0); successes and n may be effective."""
    z = z_quantile(0.5 + confidence / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)


def wilson_interval(
    successes: float, n: float, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Wilson score interval for a share; ``successes`` and ``n`` may be effective (weighted)."""
    if n <= 0:
        raise ValueError("n must be positive")
    successes_array, n_array = _arrays([successes], [n])
    low, high = wilson_intervals(successes_array, n_array, confidence)
    return float(low[0]), float(high[0])


def shares(
    sw_yes: "Sequence[float] | np.ndarray",
    sw: "Sequence[float] | np.ndarray",
    sw2: "Sequence[float] | np.ndarray",
    confidence: float = CONFIDENCE,
) -> Estimates:
    """(Weighted) shares with Wilson intervals on n_eff, of many samples (Σw > 0 each):
    ``sw_yes`` is Σw over the yeses, ``sw`` and ``sw2`` the sample's Σw and Σw²."""
    sw_yes, sw, sw2 = _arrays(sw_yes, sw, sw2)
    # The yeses and the total are summed apart (by the database, in its own order), so a
    # share of everyone can come out a rounding step above 1: it is 1.
    p = np.clip(sw_yes / sw, 0.0, 1.0)
    n_eff = kish_n_effs(sw, sw2)
    low, high = wilson_intervals(p * n_eff, n_eff, confidence)
    se = np.sqrt(p * (1 - p) / n_eff)
    return Estimates(p, low, high, se, np.full(p.shape, np.nan), n_eff)


def share(sw_yes: float, m: Moments, confidence: float = CONFIDENCE) -> Estimate:
    """A (weighted) share with its Wilson interval on n_eff. ``sw_yes`` is Σw over the yeses."""
    if m.n == 0 or m.sw <= 0:
        return Estimate(None, None, None, n=m.n)
    return shares([sw_yes], [m.sw], [m.sw2], confidence).one(0, m.n)


def npss(
    promoters: "Sequence[float] | np.ndarray",
    detractors: "Sequence[float] | np.ndarray",
    total: "Sequence[float] | np.ndarray",
    confidence: float = CONFIDENCE,
) -> Estimates:
    """``nps`` of many samples (total > 0 each)."""
    promoters, detractors, total = _arrays(promoters, detractors, total)
    p, d = promoters / total, detractors / total
    score = 100 * (p - d)
    se = 100 * np.sqrt(np.maximum(0.0, p + d - (p - d) ** 2) / total)
    z = z_quantile(0.5 + confidence / 2)
    return Estimates(score, score - z * se, score + z * se, se, np.full(p.shape, np.nan), total)


def nps(
    promoters: float, detractors: float, total: float, confidence: float = CONFIDENCE
) -> Estimate:
    """Net Promoter Score (−100…100) with its standard error and a normal interval.

    Arguments are (weighted) counts; ``total`` may be an effective n for the standard error."""
    if total <= 0:
        return Estimate(None, None, None)
    estimate = npss([promoters], [detractors], [total], confidence).one(0, round(total))
    return estimate._replace(n_eff=0.0)


class Comparison(NamedTuple):
    difference: float
    ci_low: float
    ci_high: float
    statistic: float | None
    p_value: float | None
    significant: bool


def welch(
    mean1: float,
    sd1: float,
    n1: float,
    mean2: float,
    sd2: float,
    n2: float,
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Welch's t-test of mean1 − mean2 from summaries (n may be an effective n)."""
    v1, v2 = sd1 * sd1 / n1, sd2 * sd2 / n2
    diff = mean1 - mean2
    se = math.sqrt(v1 + v2)
    if se == 0:
        return Comparison(diff, diff, diff, None, None, significant=diff != 0)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    t = diff / se
    from scipy import stats as sps

    p = float(2 * sps.t.sf(abs(t), df))
    half = t_quantile(0.5 + confidence / 2, df) * se
    return Comparison(diff, diff - half, diff + half, t, p, significant=p < 1 - confidence)


def newcombe(
    x1: float, n1: float, x2: float, n2: float, confidence: float = CONFIDENCE
) -> Comparison:
    """Newcombe's hybrid score interval for p1 − p2 (his method 10, from two Wilson intervals).

    Significant when the interval excludes 0."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence)
    l2, u2 = wilson_interval(x2, n2, confidence)
    diff = p1 - p2
    low = diff - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Comparison(diff, low, high, None, None, significant=low > 0 or high < 0)


def trim_weights(
    weights: Sequence[float], low: float, high: float, counts: Sequence[int] | None = None
) -> list[float]:
    """Weights within [low, high] × their mean, with the same sum: clip, rescale, and repeat
    until the rescaling no longer pushes any weight out of range. With ``counts``, each weight
    stands for that many respondents (a weighting cell)."""
    if not weights:
        return []
    times = list(counts) if counts is not None else [1] * len(weights)
    total = sum(w * c for w, c in zip(weights, times, strict=True))
    mean = total / sum(times)
    result = list(weights)
    for _ in range(100):
        clipped = [min(max(w, low * mean), high * mean) for w in result]
        scale = total / sum(w * c for w, c in zip(clipped, times, strict=True))
        result = [w * scale for w in clipped]
        if all(low * mean - 1e-12 <= w <= high * mean + 1e-12 for w in result):
            break
    return result


def round_half_up(value: float, decimals: int = 1) -> Decimal:
    """``value`` rounded as it is printed: half away from zero on its shortest decimal form
    (65.55 → 65.6), so ranks and published figures agree on what "equal" means."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP)


def competition_ranks(scores: Sequence[float | None], decimals: int = 1) -> list[int | None]:
    """Ranks, highest first; equal *rounded* scores share a rank (1, 2, 2, 4). None stays None."""
    rounded = [round_half_up(s, decimals) if s is not None else None for s in scores]
    present = [r for r in rounded if r is not None]
    ranks: list[int | None] = []
    for r in rounded:
        ranks.append(None if r is None else 1 + sum(1 for other in present if other > r))
    return ranks


def statistically_tied(leader: tuple[float, float], runner_up: tuple[float, float]) -> bool:
    """Does the leader's interval (low, high) overlap the runner-up's?"""
    return leader[0] <= runner_up[1] and runner_up[0] <= leader[1]


def rake(
    cells: Sequence[dict[str, str]],
    margins: dict[str, dict[str, float]],
    *,
    trim: tuple[float, float] | None = None,
    counts: Sequence[int] | None = None,
) -> list[float]:
    """Weights (mean 1) that make the sample's shares match ``margins`` on every dimension.

    ``cells`` holds each respondent's value per dimension, e.g. {"gender": "female",
    "age_group": "30-44", "region": "oslo"}; ``margins`` the target shares (any scale) per
    dimension. Raking is iterative proportional fitting (the ``ipfn`` package) of the table of
    respondents per cell to the margins, run until every margin matches to 1e-12; a
    respondent's weight is their cell's fitted count over its observed count. Margins that no
    weighting of this sample can meet (a category found only beside others whose targets
    leave it no room) raise ``ValueError`` rather than giving weights that miss them.
    ``trim`` = (low, high) clips the weights to that range × their mean afterwards
    (``trim_weights``), which moves the margins a little: the price of a smaller design effect.
    With ``counts``, each of ``cells`` is a weighting cell holding that many respondents, and
    the weights returned are the cells'.
    """
    import numpy as np
    from ipfn import ipfn

    if not cells:
        return []
    dims = list(margins)
    levels: dict[str, list[str]] = {}
    for dim in dims:
        seen = {cell.get(dim) for cell in cells}
        targets = margins[dim]
        unknown = {v for v in seen if v not in targets}
        if unknown:
            shown = sorted("(missing)" if v is None else str(v) for v in unknown)
            raise ValueError(f"{dim}: no target for {shown}")
        if any(targets[value] > 0 for value in set(targets) - seen):
            raise ValueError(f"{dim}: a target category has no respondents")
        levels[dim] = sorted(str(v) for v in seen)
    index = {dim: {v: i for i, v in enumerate(levels[dim])} for dim in dims}
    positions = [tuple(index[d][str(cell[d])] for d in dims) for cell in cells]
    times = list(counts) if counts is not None else [1] * len(cells)
    observed = np.zeros([len(levels[d]) for d in dims])
    for position, count in zip(positions, times, strict=True):
        observed[position] += count
    n = float(sum(times))
    aggregates = []
    for dim in dims:
        wanted = np.array([float(margins[dim][v]) for v in levels[dim]])
        aggregates.append(wanted / wanted.sum() * n)
    fitted, converged = ipfn.ipfn(
        observed.copy(),
        aggregates,
        [[i] for i in range(len(dims))],
        convergence_rate=1e-12,
        max_iteration=10_000,
        rate_tolerance=0.0,
        verbose=1,
    ).iteration()
    axes = range(len(dims))
    met = all(
        np.allclose(fitted.sum(axis=tuple(a for a in axes if a != i)), aggregates[i], rtol=1e-9)
        for i in axes
    )
    if not (converged and met):
        raise ValueError("the margins cannot all be met by weighting these respondents")
    with np.errstate(divide="ignore", invalid="ignore"):
        cell_weight = np.where(observed > 0, fitted / observed, 0.0)
    weights = [float(cell_weight[p]) for p in positions]
    mean = sum(w * c for w, c in zip(weights, times, strict=True)) / n
    weights = [w / mean for w in weights]
    return trim_weights(weights, *trim, counts=times) if trim else weights


def difference_of_estimates(
    value1: float, se1: float, value2: float, se2: float, confidence: float = CONFIDENCE
) -> Comparison:
    """value1 − value2 of two independent estimates with standard errors (e.g. two NPS), with
    a normal interval and a two-sided z-test."""
    diff = value1 - value2
    se = math.sqrt(se1 * se1 + se2 * se2)
    if se == 0:
        return Comparison(diff, diff, diff, None, None, significant=diff != 0)
    z = diff / se
    from scipy import stats as sps

    p = float(2 * sps.norm.sf(abs(z)))
    half = z_quantile(0.5 + confidence / 2) * se
    return Comparison(diff, diff - half, diff + half, z, p, significant=p < 1 - confidence)
