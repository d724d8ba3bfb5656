"""Simulate a month of caption-variant tests and measure the method of chorus.lib.variant_test.

Run through `benchmarks/variant-test`. Each simulated test is one item shared by a 200-person
programme over 30 days; its shares are spread evenly over the variants (as the composer's
allocation does) and arrive on random days. A share's human clicks follow a negative binomial
(mean `--mean-clicks`, shape `--shape`): most shares bring a few clicks, a few bring many, as
measured on real programmes. The page is looked at every day, and the method asked each time:

- **false-winner rate**: no variant is better, and the method names a winner on any day of the
  month (every look counts: that is how people use the page);
- **power**: one variant's mean is `--lift` better (20 %), and the method names *that* variant
  on the last day.

Sample sizes are the shares one item gathers in a month in a 200-person programme: a typical
item (40), a campaign's main item (100), and every person sharing it once (200). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chorus.lib.variant_test import FALSE_WINNER_RATE, MIN_SHARES, compare

DAYS = 30


def clicks(rng: np.random.Generator, mean: float, shape: float, size: int) -> np.ndarray:
    """Negative binomial draws with the given mean and shape (variance mean + mean²/shape)."""
    return rng.negative_binomial(shape, shape / (shape + mean), size=size).astype(float)


def one_month(
    rng: np.random.Generator,
    *,
    variants: int,
    shares: int,
    mean: float,
    shape: float,
    lift: float,
) -> tuple[bool, object]:
    """Return (named a winner on some day, the winner named on the last day)."""
    days = np.sort(rng.integers(0, DAYS, size=shares))
    arm_of = np.arange(shares) % variants  # the allocation spreads variants evenly
    means = np.full(variants, mean)
    means[0] *= 1.0 + lift
    outcome = np.array([clicks(rng, means[a], shape, 1)[0] for a in arm_of])
    ever = False
    last = None
    for day in range(DAYS):
        seen = days <= day
        samples = {a: outcome[seen & (arm_of == a)].tolist() for a in range(variants)}
        if min(len(v) for v in samples.values()) < MIN_SHARES:
            continue
        result = compare(samples, rng=rng)
        won = result.verdict == "winner"
        ever = ever or won
        if day == DAYS - 1:
            last = result.leader if won else None
    return ever, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="simulated months per case")
    parser.add_argument("--mean-clicks", type=float, default=6.0)
    parser.add_argument("--shape", type=float, default=0.8, help="negative binomial shape")
    parser.add_argument("--lift", type=float, default=0.20)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--sizes", default="40,100,200", help="shares of the item in a month")
    parser.add_argument("--variants", default="2,3", help="numbers of variants compared")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    cases = []
    for variants in (int(v) for v in args.variants.split(",")):
        for shares in (int(n) for n in args.sizes.split(",")):
            false = sum(
                one_month(
                    rng,
                    variants=variants,
                    shares=shares,
                    mean=args.mean_clicks,
                    shape=args.shape,
                    lift=0.0,
                )[0]
                for _ in range(args.runs)
            )
            found = sum(
                one_month(
                    rng,
                    variants=variants,
                    shares=shares,
                    mean=args.mean_clicks,
                    shape=args.shape,
                    lift=args.lift,
                )[1]
                == 0
                for _ in range(args.runs)
            )
            cases.append(
                {
                    "variants": variants,
                    "shares_in_a_month": shares,
                    "false_winner_rate": round(false / args.runs, 4),
                    "power": round(found / args.runs, 4),
                }
            )
    print(
        json.dumps(
            {
                "method": "Student-t posterior per variant, judged when the smallest variant "
                f"reaches {MIN_SHARES} * 2^k shares, error budget {FALSE_WINNER_RATE} spent "
                "over the checkpoints; looked at daily",
                "runs_per_case": args.runs,
                "mean_clicks_per_share": args.mean_clicks,
                "negative_binomial_shape": args.shape,
                "true_lift": args.lift,
                "worst_false_winner_rate": max(c["false_winner_rate"] for c in cases),
                "cases": cases,
                "seconds": round(time.perf_counter() - started, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
