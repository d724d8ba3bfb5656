"""Time the feed's ranking with allocation for a whole simulated organisation.

Run through `benchmarks/feed-rank` (defaults: 10,000 people x 2,000 items, target <= 2 min
on 2 cores). Prints the time to generate the organisation (not counted), to build the
ranking context (text vectors, similarities, profiles), to rank everybody with allocation
(`rank_all`), and the peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chorus.feed.engine import FeedContext
from chorus.feed.simulate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=2_000)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    started = time.perf_counter()
    dataset = generate(args.seed, args.people, args.items)
    generated = time.perf_counter()
    train = dataset.train()
    context = FeedContext(dataset.people, dataset.items, train, dataset.now)
    built = time.perf_counter()
    ranked = context.rank_all(args.k)
    done = time.perf_counter()

    suggested = {s.item_id for suggestions in ranked.values() for s in suggestions}
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"feed-rank: {args.people} people x {args.items} items, k={args.k}, "
        f"{len(train)} past interactions, cpus={os.cpu_count()}"
    )
    print(f"  generate organisation (not counted): {generated - started:6.1f} s")
    print(f"  build context:                       {built - generated:6.1f} s")
    print(f"  rank_all with allocation:            {done - built:6.1f} s")
    print(f"  total ranking time:                  {done - generated:6.1f} s (target <= 120 s)")
    print(f"  distinct items suggested: {len(suggested)}; peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
