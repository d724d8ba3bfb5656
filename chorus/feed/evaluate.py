"""Offline evaluation of feed rankers: NDCG@k, recall@k, coverage and expected unique reach.

Rankers see only the interactions at or before the dataset's `now`; the held-out truth is
the set of items each person **shared** after `now`. Every ranker obeys the same rule:
never suggest an item the person already interacted with (shared, clicked, dismissed).

Metrics, for lists of k items per person:

- **NDCG@k**: binary relevance (shared in the held-out window or not), DCG with
  ``1/log2(rank + 1)``, divided by the ideal DCG for ``min(k, relevant)`` hits; averaged
  over the people who shared something in the held-out window.
- **recall@k**: held-out shares found in the list / held-out shares, same people.
- **coverage**: distinct items suggested to anybody / items that could be suggested
  (published at or before `now`).
- **expected unique reach**: the expected number of distinct (audience member, item)
  pairs such that the member sees the item at least once, i.e.
  ``sum over items i, members m of 1 - prod over people p suggested i whose audience has m
  of (1 - q[p, i])``. q[p, i] is the probability that p shares i: the simulator's hidden
  propensity (times the chance it falls in the window) when the dataset has one, else 1 for
  a held-out share and 0 otherwise. A member reached twice with the same item counts once,
  which is what allocation is for. Audiences are modelled from what the dataset says: a
  person's `audience_size` members (default 300) are drawn, with a seed derived from the
  person's id, 35% from a pool shared by their team (5 members per team member), 25% from
  a pool per site (50 per person on the site), 20% from pools per audience persona (20 per
  person reaching it) and 20% of their own. So colleagues of a team, a site or a persona
  overlap (teammates most), as the issue asks.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from chorus.feed.dataset import Dataset
from chorus.feed.engine import FeedContext, Weights
from chorus.feed.simulate import share_probability

Recommendations = dict[str, list[str]]


@dataclass
class Metrics:
    """The figures for one ranker on one dataset."""

    ndcg: float
    recall: float
    coverage: float
    reach: float
    people_evaluated: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _interacted(dataset: Dataset) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = defaultdict(set)
    for interaction in dataset.train():
        seen[interaction.person].add(interaction.item)
    return seen


def _candidates(dataset: Dataset) -> list[str]:
    return [item.id for item in dataset.items if item.published_at <= dataset.now]


def recommend_chorus(
    dataset: Dataset, k: int = 10, weights: Weights | None = None, allocate: bool = True
) -> Recommendations:
    """The Chorus ranker with allocation: the same code the live feed calls."""
    context = FeedContext(dataset.people, dataset.items, dataset.train(), dataset.now, weights)
    ranked = context.rank_all(k, allocate=allocate)
    return {person: [s.item_id for s in suggestions] for person, suggestions in ranked.items()}


def _same_list_for_all(dataset: Dataset, ordered: list[str], k: int) -> Recommendations:
    seen = _interacted(dataset)
    result = {}
    for person in dataset.people:
        mine = seen.get(person.id, set())
        result[person.id] = [item for item in ordered if item not in mine][:k]
    return result


def recommend_recency(dataset: Dataset, k: int = 10) -> Recommendations:
    """Baseline: the latest items first, for everybody (the e-mail blast)."""
    published = {item.id: item.published_at for item in dataset.items}
    ordered = sorted(_candidates(dataset), key=lambda i: (published[i], i), reverse=True)
    return _same_list_for_all(dataset, ordered, k)


def recommend_popularity(dataset: Dataset, k: int = 10) -> Recommendations:
    """Baseline: the items most shared before `now` first, for everybody."""
    shares = Counter(x.item for x in dataset.train() if x.kind == "share")
    ordered = sorted(_candidates(dataset), key=lambda i: (-shares[i], i))
    return _same_list_for_all(dataset, ordered, k)


RANKERS: dict[str, Callable[[Dataset, int], Recommendations]] = {
    "chorus": recommend_chorus,
    "recency": recommend_recency,
    "popularity": recommend_popularity,
}


def audience_members(dataset: Dataset) -> dict[str, np.ndarray]:
    """Each person's modelled audience, as integer member ids (see the module docstring)."""
    team_sizes = Counter(p.team for p in dataset.people)
    site_sizes = Counter(p.site for p in dataset.people)
    persona_sizes = Counter(a for p in dataset.people for a in p.audience)
    members: dict[str, np.ndarray] = {}

    # Pools are id ranges; a pool's offset is derived from its name, far apart.
    def pool(name: str) -> int:
        return (zlib.crc32(name.encode()) % 1_000_000) * 10_000_000

    for person in dataset.people:
        rng = np.random.default_rng(zlib.crc32(person.id.encode()))
        size = person.audience_size or 300
        team_pool = 5 * team_sizes[person.team]
        site_pool = 10 * site_sizes[person.site]
        parts = [
            pool(f"team:{person.team}") + rng.integers(team_pool, size=round(0.35 * size)),
            pool(f"site:{person.site}") + rng.integers(site_pool, size=round(0.25 * size)),
            pool(f"own:{person.id}") + np.arange(round(0.20 * size)),
        ]
        personas = person.audience or [""]
        per_persona = max(1, round(0.20 * size / len(personas)))
        parts += [
            pool(f"persona:{a}") + rng.integers(20 * max(1, persona_sizes[a]), size=per_persona)
            for a in personas
        ]
        members[person.id] = np.unique(np.concatenate(parts))
    return members


def expected_reach(
    dataset: Dataset,
    recommendations: Mapping[str, Sequence[str]],
    probability: np.ndarray | None,
    audiences: Mapping[str, np.ndarray],
) -> float:
    """Expected distinct (audience member, item) pairs reached at least once."""
    person_row = {p.id: n for n, p in enumerate(dataset.people)}
    item_col = {i.id: n for n, i in enumerate(dataset.items)}
    held_out = {(x.person, x.item) for x in dataset.test() if x.kind == "share"}
    holders: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for person, items in recommendations.items():
        for item in items:
            if probability is not None:
                q = float(probability[person_row[person], item_col[item]])
            else:
                q = 1.0 if (person, item) in held_out else 0.0
            if q > 0:
                holders[item].append((person, q))
    total = 0.0
    for people in holders.values():
        ids = np.concatenate([audiences[p] for p, _ in people])
        log_miss = np.concatenate(
            [np.full(len(audiences[p]), math.log1p(-min(q, 1 - 1e-12))) for p, q in people]
        )
        _, inverse = np.unique(ids, return_inverse=True)
        total += float(np.sum(1 - np.exp(np.bincount(inverse, weights=log_miss))))
    return total


def evaluate(
    dataset: Dataset,
    recommendations: Mapping[str, Sequence[str]],
    k: int = 10,
    *,
    probability: np.ndarray | None = None,
    audiences: Mapping[str, np.ndarray] | None = None,
) -> Metrics:
    """Score one set of recommendations against the held-out shares of a dataset."""
    relevant: dict[str, set[str]] = defaultdict(set)
    for interaction in dataset.test():
        if interaction.kind == "share":
            relevant[interaction.person].add(interaction.item)
    seen = _interacted(dataset)
    ndcgs, recalls = [], []
    for person, items in recommendations.items():
        if seen.get(person, set()) & set(items):
            raise AssertionError(f"{person} was suggested an item they already interacted with")
    for person, truth in relevant.items():
        items = list(recommendations.get(person, []))[:k]
        gains = [1.0 / math.log2(rank + 2) for rank, item in enumerate(items) if item in truth]
        ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(k, len(truth))))
        ndcgs.append(sum(gains) / ideal)
        recalls.append(len(gains) / len(truth))
    suggested = {item for items in recommendations.values() for item in items}
    return Metrics(
        ndcg=float(np.mean(ndcgs)) if ndcgs else 0.0,
        recall=float(np.mean(recalls)) if recalls else 0.0,
        coverage=len(suggested) / max(1, len(_candidates(dataset))),
        reach=expected_reach(dataset, recommendations, probability, audiences or {}),
        people_evaluated=len(ndcgs),
    )


def evaluate_all(
    dataset: Dataset,
    k: int = 10,
    rankers: Mapping[str, Callable[..., Recommendations]] | None = None,
) -> dict[str, Metrics]:
    """Run every ranker on a dataset and score it (the Chorus ranker and both baselines)."""
    probability = share_probability(dataset)
    audiences = audience_members(dataset)
    return {
        name: evaluate(dataset, ranker(dataset, k), k, probability=probability, audiences=audiences)
        for name, ranker in (rankers or RANKERS).items()
    }
