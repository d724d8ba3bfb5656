"""Compare caption variants without inventing winners.

Each variant has one outcome per share (a share's human clicks, say). Clicks per share are
heavy-tailed: one well-connected colleague brings more than ten others together, so a test that
treats every click as independent (a Poisson or a proportion test on click counts) declares
winners that are only somebody's large audience. The outcome here is the share, not the click.

The method: for each variant, the posterior of its mean outcome under a normal model with
unknown variance and the reference prior, a Student t centred on the sample mean with scale
s/√n (Gelman et al., *Bayesian Data Analysis*, §3.2). Draws from those posteriors give the
probability that each variant is the best and an interval for the leader's lift over the
runner-up. A winner is named only when every variant has at least `MIN_SHARES` shares and the
leader is best with a probability above `required_probability` (below).

People look at the page every day, and each look at new data is one more chance for noise to
cross the threshold: judged on all the data at every look, the false winners of a month grow
with the traffic. So the verdict is a group-sequential one: it reads each variant's first
`MIN_SHARES` * 2^k shares (in the order they were published), for the largest k the smallest
variant has reached, and so changes only when that variant's shares double: a handful of
looks in a month, whatever the traffic. The figures shown beside it use all the shares.
The j-th checkpoint spends `FALSE_WINNER_RATE` / 2^j of the error budget, shared among the
variants (any of which could be wrongly named): the budget adds up to `FALSE_WINNER_RATE` over
any number of checkpoints, early looks are lenient, and late ones strict.
`benchmarks/variant-test` measures what this costs and buys: the rate of false winners when no
variant is better, and the power to find a truly better one, with a look every day of a month.

Draws come from a generator seeded by the data, so a page shows the same verdict on every
reload for the same figures.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

MIN_SHARES = 20
# The chance of naming a winner, over all the looks of a test, when no variant is better
# (below the 5 % aimed at: the t posterior is a little optimistic with 20 heavy-tailed shares).
FALSE_WINNER_RATE = 0.04
INTERVAL = 0.90
DRAWS = 4000

K = TypeVar("K", bound=Hashable)

Verdict = Literal["not_enough_data", "no_clear_difference", "winner", "single"]


@dataclass(frozen=True)
class Arm:
    """One variant's outcomes summarised, and its chance of being the best."""

    key: Hashable
    n: int
    mean: float | None
    probability_best: float | None


@dataclass(frozen=True)
class Comparison:
    arms: tuple[Arm, ...]
    verdict: Verdict
    leader: Hashable | None = None
    # The leader's mean over the runner-up's, minus one, as a `INTERVAL` credible interval.
    lift_low: float | None = None
    lift_high: float | None = None
    shares_needed: int = MIN_SHARES


def _seed(samples: Mapping[K, Sequence[float]]) -> int:
    digest = hashlib.sha256(repr(sorted((repr(k), list(v)) for k, v in samples.items())).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def _posterior_draws(values: np.ndarray, rng: np.random.Generator, draws: int) -> np.ndarray:
    n = len(values)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else 0.0
    if sd == 0.0:
        # All shares had the same outcome (often zero clicks): the spread can't be estimated
        # from the sample, so borrow a Poisson-like one rather than claim certainty.
        sd = math.sqrt(max(mean, 1.0))
    return mean + sd / math.sqrt(n) * rng.standard_t(n - 1, size=draws)


def compare(
    samples: Mapping[K, Sequence[float]],
    *,
    min_shares: int = MIN_SHARES,
    false_winner_rate: float = FALSE_WINNER_RATE,
    draws: int = DRAWS,
    rng: np.random.Generator | None = None,
) -> Comparison:
    """Compare the variants' outcomes (one value per share); see the module's docstring."""
    keys = list(samples)
    if len(keys) < 2:
        arms = tuple(Arm(k, len(samples[k]), mean(samples[k]), None) for k in keys)
        return Comparison(arms, "single", shares_needed=min_shares)
    fewest = min(len(samples[k]) for k in keys)
    if fewest < max(min_shares, 2):
        arms = tuple(Arm(k, len(samples[k]), mean(samples[k]), None) for k in keys)
        return Comparison(arms, "not_enough_data", shares_needed=min_shares)
    checkpoint = checkpoint_for(fewest, min_shares)
    # The verdict reads each variant's first `checkpoint` shares: it changes only when the
    # smallest variant doubles, whatever the number of looks (see the module's docstring).
    judged = {k: list(samples[k])[:checkpoint] for k in keys}
    rng = rng or np.random.default_rng(_seed(judged))
    matrix = np.stack(
        [_posterior_draws(np.asarray(judged[k], dtype=float), rng, draws) for k in keys]
    )
    best = matrix.argmax(axis=0)
    probabilities = np.bincount(best, minlength=len(keys)) / draws
    order = np.argsort(-matrix.mean(axis=1))
    leader, runner_up = int(order[0]), int(order[1])
    lift = matrix[leader] / np.maximum(matrix[runner_up], 1e-9) - 1.0
    tail = (1.0 - INTERVAL) / 2
    low, high = (float(x) for x in np.quantile(lift, [tail, 1.0 - tail]))
    arms = tuple(
        Arm(k, len(samples[k]), mean(samples[k]), float(probabilities[i]))
        for i, k in enumerate(keys)
    )
    needed = required_probability(checkpoint, len(keys), min_shares, false_winner_rate)
    won = probabilities[leader] >= needed
    return Comparison(
        arms,
        "winner" if won else "no_clear_difference",
        leader=keys[leader],
        lift_low=low,
        lift_high=high,
        shares_needed=min_shares,
    )


def required_probability(
    checkpoint: int,
    variants: int,
    min_shares: int = MIN_SHARES,
    false_winner_rate: float = FALSE_WINNER_RATE,
) -> float:
    """How sure the test must be that the leader is best, at this checkpoint."""
    look = round(math.log2(checkpoint / min_shares)) + 1
    return 1.0 - false_winner_rate / 2**look / variants


def checkpoint_for(fewest: int, min_shares: int = MIN_SHARES) -> int:
    """The largest `min_shares` * 2^k that the smallest variant has reached."""
    checkpoint = min_shares
    while checkpoint * 2 <= fewest:
        checkpoint *= 2
    return checkpoint


def mean(values: Sequence[float]) -> float | None:
    """The average, or None without values."""
    return sum(values) / len(values) if values else None
