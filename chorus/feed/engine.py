"""Feed ranking and allocation: score every (person, item) pair, explain it, spread items out.

Pure Python and numpy, no Django: the live feed builds `Person`, `Item` and `Interaction`
values from its models and calls `FeedContext` unchanged; `chorus feed-recommend` and
`chorus feed-eval` call the very same code on a dataset directory.

How a score is made (all components lie in [0, 1], see `Weights`):

- ``topic``: the person's topic profile (declared topics, topics of what they shared, minus
  topics of what they dismissed) against the item's topics.
- ``text``: cosine between the item's text and the person's text profile, the TF-IDF vectors
  of what they shared (+1) and clicked (+0.3) minus what they dismissed ("not for me", -1),
  plus anything they wrote (``Person.writings``).
- ``similar_colleagues``: item-to-item collaborative filtering; items that were shared by the
  people who shared what this person shared.
- ``popular_nearby``: how many colleagues of the same team or site shared the item.
- ``campaign``: campaign priority (1..5) scaled to [0, 1], lowered when the campaign targets
  teams, networks or audience personas the person is not in.
- ``fit``: how well the item's kind (job, video, event...) does among people who share the
  person's networks and audience personas, learned from the interactions (a smoothed lift).

``relevance = sum(weight * component)``, then ``score = relevance * freshness`` where
freshness decays with the item's age, down to a floor: advocacy
content is shared soon after publication or not at all, so an old relevant item that the
person has not shared yet is a weaker bet than a fresh one. Precisely, freshness is the
chance that a share still to come falls within the feed's horizon (a week):
``exp(-age / life) * (1 - exp(-horizon / life))``. The shelf life is learned per
item kind from the past shares' delays (a job offer lives longer than a news article), with
`Weights.half_life_hours` as the prior. Allocation then divides the
score by ``1 + allocation_weight * overlap``, where overlap adds up, for the person's team,
site and audience personas, the fraction of that circle who already hold the item (have it
queued or shared, or were allocated it earlier in `rank_all`), weighted by
``team_overlap``, ``site_overlap`` and ``audience_overlap`` (personas averaged).

Items the person interacted with (shared, clicked, dismissed) are never suggested. Items in
a language the person does not speak are dropped (`Weights.language_penalty` = None); a soft
penalty can be set instead. Measured on simulated organisations (300 people x 400 items,
seeds 1-5): NDCG@10 0.313 with the hard filter, 0.314 with a 0.2 penalty, i.e. no
difference; the filter is kept because a card in a language one cannot read is useless, and
people who declare no language see everything.

Text: French and English both work by folding accents and case, dropping a short stop-word
list per language, and using character 3- to 5-grams inside words (like scikit-learn's
``char_wb``), so "sécurité", "securite" and "cybersécurité" share features, and so do
plurals, genders and English/French cognates ("innovation", "infrastructure"). Word
unigrams are available (``Weights.text_analyzer = "word"``): on the same simulated
organisations both give NDCG@10 0.313 (the simulator's texts are too regular to separate
them); character n-grams are kept for real text, where inflections and typos are common.
Embedding models were not used: the packages that ship them download the model at run
time, which a self-hosted install cannot assume, and they bring heavy dependencies.
Item-to-item text similarity is a sparse product computed with numpy (inverted index),
so no scipy is needed.

Size: the item-item similarities (text and co-shares) are full (n, n) matrices up to
`DENSE_ITEMS_LIMIT` items, where ranking a whole organisation (`rank_all`) is a few matrix
products. Beyond it they stay sparse: a person's text score is one pass over the items'
TF-IDF rows (x_i . sum_j w_j x_j equals sum_j w_j cos(x_j, x_i)), and co-shares are stored
for the pairs of items somebody shared together. Same numbers either way (tested), so a
20,000-item catalogue ranks without a 1.6 GB matrix. The live feed builds one context per
organisation, keeps it, and ranks each request with `rank(..., interactions=...)`: the
person's own shares and dismissals, read fresh, replace what the context was built with.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
import threading
import unicodedata
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

INTERACTION_KINDS = ("share", "click", "dismiss")
COMPONENTS = ("topic", "text", "similar_colleagues", "popular_nearby", "campaign", "fit")
# Up to this many items, item-item similarities are held as full matrices: ranking a whole
# organisation at once is then a few matrix products. Beyond it (a 20,000-item catalogue
# would need 1.6 GB per matrix) they stay sparse and each person costs one pass over them.
DENSE_ITEMS_LIMIT = 3000
# Memory for the text products a `TextIndex` keeps (one row per distinct history).
REMEMBERED_BYTES = 64_000_000
# Non-zeros gathered at a time when a text profile is compared with every item.
DOT_CHUNK = 1 << 20


@dataclass
class Person:
    """An ambassador as the ranker sees them: what they declared, where they sit."""

    id: str
    team: str = ""
    site: str = ""
    languages: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    audience: list[str] = field(default_factory=list)  # audience personas / segments
    audience_size: int = 0
    writings: list[str] = field(default_factory=list)  # captions, comments, bio they wrote


@dataclass
class Item:
    """A content item that can be suggested."""

    id: str
    title: str
    summary: str
    language: str
    topics: list[str]
    published_at: datetime
    campaign_priority: int = 0  # 0 = no campaign, 1..5
    kind: str = "article"
    campaign_teams: list[str] = field(default_factory=list)
    campaign_networks: list[str] = field(default_factory=list)
    campaign_personas: list[str] = field(default_factory=list)


@dataclass
class Interaction:
    """One thing a person did with an item: share, click or dismiss ("not for me")."""

    person: str
    item: str
    kind: str
    at: datetime


@dataclass
class Suggestion:
    """One ranked card: the score, the components it came from, and why, as codes."""

    item_id: str
    score: float
    components: dict[str, float]
    reasons: list[tuple[str, dict]]


@dataclass(frozen=True)
class Holding:
    """Who already holds which item (queued or shared), as index arrays of one context."""

    items: np.ndarray  # item indices
    people: np.ndarray  # person indices, one per item entry


@dataclass(frozen=True)
class Weights:
    """Knobs of the ranker. Defaults are set by reasoning, checked on simulated organisations."""

    topic: float = 1.0
    text: float = 1.0
    similar_colleagues: float = 1.0
    popular_nearby: float = 0.5
    campaign: float = 0.5
    fit: float = 0.5
    half_life_hours: float = 72.0
    freshness_floor: float = 0.05
    horizon_hours: float = 168.0  # the feed aims at what gets shared within a week
    language_penalty: float | None = None  # None: drop other languages; else multiply
    click_weight: float = 0.3
    dismiss_weight: float = 1.0
    dismissed_topic_weight: float = 0.5
    shared_topic_weight: float = 0.5
    allocation_weight: float = 0.5
    team_overlap: float = 1.0
    site_overlap: float = 1.0
    audience_overlap: float = 1.0
    text_analyzer: str = "char"  # "char" (3-5 grams within words) or "word"


# ---------------------------------------------------------------------------- text

STOPWORDS = frozenset(
    """
    a an and are as at be but by for from has have in into is it its of on or our that the
    their this to was were will with you your we how what why new more about after over can
    au aux avec ce ces dans de des du elle en est et il ils la le les leur leurs mais ne nos
    notre nous on ou par pas plus pour qu que qui sa se ses son sont sur un une vos votre
    vous comment pourquoi nouveau nouvelle nouveaux apres
    """.split()  # noqa: SIM905
)
_TOKEN = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case and strip accents, so "Sécurité" and "securite" are the same word."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    """The folded words of a text, without stop words and one-letter tokens."""
    return [word for word in _TOKEN.findall(fold(text)) if len(word) > 1 and word not in STOPWORDS]


@functools.lru_cache(maxsize=200_000)
def _word_grams(word: str) -> tuple[str, ...]:
    # Words repeat across a catalogue: remembering their grams makes indexing 20,000 items
    # several times faster.
    padded = f" {word} "
    return tuple(
        padded[start : start + size]
        for size in (3, 4, 5)
        for start in range(len(padded) - size + 1)
    )


def terms(text: str, analyzer: str = "char") -> list[str]:
    """The features of a text: words, or character 3- to 5-grams inside each word."""
    tokens = words(text)
    if analyzer == "word":
        return tokens
    grams: list[str] = []
    for word in tokens:
        grams.extend(_word_grams(word))
    return grams


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenated index ranges [start, start + length) as one array."""
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(total, dtype=np.int64) + offsets


class SortedVocabulary(Mapping[str, int]):
    """Term -> column, read from the sorted array of terms (a term's column is its rank)."""

    def __init__(self, terms_: np.ndarray):
        self.terms = terms_

    def __getitem__(self, term: str) -> int:
        position = int(np.searchsorted(self.terms, term))
        if position < len(self.terms) and self.terms[position] == term:
            return position
        raise KeyError(term)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.terms.tolist())

    def __len__(self) -> int:
        return len(self.terms)


class TextIndex:
    """TF-IDF vectors of the items' texts, with fast item-item and query-item cosine.

    Vectors are L2-normalised sparse rows (CSR). An inverted index (CSC) is built beside
    them when the whole item-item matrix is asked for; products with a person's profile go
    through the rows (`product`), so a catalogue of 20,000 items never needs the
    20,000 x 20,000 matrix.
    """

    def __init__(self, texts: Sequence[str], analyzer: str = "char", max_df: float = 0.5):
        self.analyzer = analyzer
        counts = [Counter(terms(text, analyzer)) for text in texts]
        # Iterating a Counter yields each of its terms once: this counts documents.
        document_frequency: Counter[str] = Counter(itertools.chain.from_iterable(counts))
        n = len(texts)
        ceiling = max(2, int(max_df * n))
        kept = sorted(t for t, df in document_frequency.items() if df <= ceiling)
        self.vocabulary = {term: index for index, term in enumerate(kept)}
        frequency = np.array([document_frequency[t] for t in kept], dtype=np.float64)
        self.idf = (np.log((1 + n) / (1 + frequency)) + 1).astype(np.float32)
        term_ids: list[int] = []
        tallies: list[int] = []
        lengths = np.zeros(n, dtype=np.int64)
        for row, count in enumerate(counts):
            term_ids.extend(map(self.vocabulary.get, count, itertools.repeat(-1)))
            tallies.extend(count.values())
            lengths[row] = len(count)
        columns = np.array(term_ids, dtype=np.int64)
        row_ids = np.repeat(np.arange(n, dtype=np.int64), lengths)
        known = columns >= 0
        columns, row_ids = columns[known], row_ids[known]
        tf = 1 + np.log(np.array(tallies, dtype=np.float32)[known])
        weights = tf * self.idf[columns]
        norms = np.sqrt(np.bincount(row_ids, weights=weights * weights, minlength=n))
        self.n = n
        self.indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(row_ids, minlength=n), out=self.indptr[1:])
        # 32-bit term ids: half the memory every process maps (400 MB at 200,000 items);
        # `_dot_all` widens them a chunk at a time for the gathers.
        self.indices = columns.astype(np.int32)
        self.data = (weights / norms[row_ids]).astype(np.float32)
        self._postings: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._filled = np.flatnonzero(np.diff(self.indptr))  # rows with at least one term
        # Product rows already computed, by the weighted items they came from: a person's
        # text affinity only changes when what they shared or dismissed does.
        self._remembered: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._remembered_limit = max(16, REMEMBERED_BYTES // max(4 * n, 1))
        self._blocks: OrderedDict[bytes, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        """What is pickled to share the index between processes: the arrays (memory-mapped
        where they are loaded, see chorus.feed.shared), not the caches, and the vocabulary
        as one sorted array of terms rather than a dict of millions of strings."""
        state = self.__dict__.copy()
        for name in ("_remembered", "_blocks", "_lock", "_postings"):
            state.pop(name, None)
        if not isinstance(self.vocabulary, SortedVocabulary):
            state["vocabulary"] = SortedVocabulary(np.array(list(self.vocabulary), dtype=str))
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._postings = None
        self._remembered = OrderedDict()
        self._blocks = OrderedDict()
        self._lock = threading.Lock()

    def _weights(self, count: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
        pairs = [(self.vocabulary[t], c) for t, c in count.items() if t in self.vocabulary]
        if not pairs:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        term_ids = np.array([p[0] for p in pairs], dtype=np.int32)
        tf = 1 + np.log(np.array([p[1] for p in pairs], dtype=np.float32))
        weights = tf * self.idf[term_ids]
        return term_ids, (weights / np.linalg.norm(weights)).astype(np.float32)

    def _dot_all(self, vector: np.ndarray) -> np.ndarray:
        """Dot product of every item's vector with a dense vector over the vocabulary.

        By chunks of about `DOT_CHUNK` non-zeros cut at row boundaries: the temporary
        arrays stay small (one pass over 50 million non-zeros at 200,000 items allocated
        600 MB), and each row is summed exactly as in one pass.
        """
        out = np.zeros(self.n, dtype=np.float32)
        filled = self._filled
        if not filled.size:
            return out
        starts = self.indptr[filled]
        cuts = np.searchsorted(starts, np.arange(DOT_CHUNK, int(self.indptr[-1]), DOT_CHUNK))
        edges = np.unique(np.concatenate([[0], cuts, [len(filled)]]))
        for first, last in itertools.pairwise(edges.tolist()):
            lo, hi = int(starts[first]), int(self.indptr[filled[last - 1] + 1])
            products = np.take(vector, self.indices[lo:hi].astype(np.intp))
            products *= self.data[lo:hi]
            # reduceat over the non-empty rows only: each segment then ends where the row does.
            out[filled[first:last]] = np.add.reduceat(products, starts[first:last] - lo)
        return out

    def _combine(self, items: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """The dense vocabulary vector sum(weight * item vector)."""
        lengths = self.indptr[items + 1] - self.indptr[items]
        gather = _ranges(self.indptr[items], lengths)
        return np.bincount(
            self.indices[gather],
            weights=self.data[gather] * np.repeat(weights, lengths),
            minlength=len(self.vocabulary),
        ).astype(np.float32)

    def product(self, profile: np.ndarray) -> np.ndarray:
        """``profile @ S`` where S is the item-item cosine matrix, without building S.

        Row r of the result is x_i . (sum_j p_rj x_j) for every item i, which is
        sum_j p_rj (x_j . x_i): the same numbers as the dense product.
        """
        out = np.zeros(profile.shape, dtype=np.float32)
        for row in range(profile.shape[0]):
            items = np.flatnonzero(profile[row])
            if not items.size:
                continue
            weights = profile[row, items]
            key = items.tobytes() + weights.tobytes()
            with self._lock:
                known = self._remembered.get(key)
                if known is not None:
                    self._remembered.move_to_end(key)
            if known is None:
                known = self._dot_all(self._combine(items, weights))
                with self._lock:
                    self._remembered[key] = known
                    while len(self._remembered) > self._remembered_limit:
                        self._remembered.popitem(last=False)
            out[row] = known
        return out

    def between(self, item: int, others: np.ndarray) -> np.ndarray:
        """Cosines between one item and some others."""
        others_terms, others_matrix = self._vectors_of(others)
        lo, hi = self.indptr[item], self.indptr[item + 1]
        if not others_terms.size or lo == hi:
            return np.zeros(len(others), dtype=np.float32)
        terms_, values = self.indices[lo:hi], self.data[lo:hi]
        where = np.minimum(np.searchsorted(others_terms, terms_), len(others_terms) - 1)
        shared = others_terms[where] == terms_
        return np.asarray(values[shared] @ others_matrix[where[shared]], dtype=np.float32)

    def _vectors_of(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The items' vectors as a dense (terms, items) block over the terms they use.

        The explanations compare every card with the same few items (what the person
        shared), so the last blocks are kept.
        """
        key = items.tobytes()
        with self._lock:
            known = self._blocks.get(key)
        if known is not None:
            return known
        lengths = self.indptr[items + 1] - self.indptr[items]
        gather = _ranges(self.indptr[items], lengths)
        used, position = np.unique(self.indices[gather], return_inverse=True)
        block = np.zeros((len(used), len(items)), dtype=np.float32)
        block[position, np.repeat(np.arange(len(items)), lengths)] = self.data[gather]
        with self._lock:
            self._blocks[key] = (used, block)
            while len(self._blocks) > 16:
                self._blocks.popitem(last=False)
        return used, block

    def _scores(self, term_ids: np.ndarray, weights: np.ndarray, owner: np.ndarray, rows: int):
        """Sum weight * posting value into a (rows, n) block; owner says which row a term feeds."""
        if self._postings is None:
            order = np.argsort(self.indices, kind="stable")
            row_ids = np.repeat(np.arange(self.n), np.diff(self.indptr))
            pointers = np.zeros(len(self.vocabulary) + 1, dtype=np.int64)
            counts = np.bincount(self.indices, minlength=len(self.vocabulary))
            np.cumsum(counts, out=pointers[1:])
            self._postings = (row_ids[order], self.data[order], pointers)
        post_items, post_vals, post_ptr = self._postings
        starts, ends = post_ptr[term_ids], post_ptr[term_ids + 1]
        lengths = ends - starts
        out = np.zeros(rows * self.n, dtype=np.float64)
        gather = _ranges(starts, lengths)
        if gather.size:
            target = np.repeat(owner.astype(np.int64) * self.n, lengths) + post_items[gather]
            contribution = post_vals[gather] * np.repeat(weights, lengths)
            out += np.bincount(target, weights=contribution, minlength=rows * self.n)
        return out.reshape(rows, self.n).astype(np.float32)

    def item_similarity(self, block: int = 256) -> np.ndarray:
        """The (n, n) matrix of cosines between items, computed block by block."""
        result = np.zeros((self.n, self.n), dtype=np.float32)
        for start in range(0, self.n, block):
            stop = min(self.n, start + block)
            lo, hi = self.indptr[start], self.indptr[stop]
            owner = np.repeat(np.arange(stop - start), np.diff(self.indptr[start : stop + 1]))
            result[start:stop] = self._scores(
                self.indices[lo:hi], self.data[lo:hi], owner, stop - start
            )
        return result

    def query_similarity(self, texts: Sequence[str]) -> np.ndarray:
        """Cosine between one combined query text and every item."""
        term_ids, weights = self._weights(Counter(terms(" ".join(texts), self.analyzer)))
        vector = np.zeros(len(self.vocabulary), dtype=np.float32)
        vector[term_ids] = weights
        return self._dot_all(vector)


class DenseSimilarity:
    """An item-item similarity held as a full matrix: fastest when ranking everybody at once."""

    def __init__(self, matrix: np.ndarray):
        self.matrix = matrix

    def product(self, profile: np.ndarray) -> np.ndarray:
        """``profile @ S`` for (rows, n) item weights."""
        return np.asarray(profile @ self.matrix)

    def between(self, item: int, others: np.ndarray) -> np.ndarray:
        """Similarities between one item and some others."""
        return np.asarray(self.matrix[item, others])


class SparseSimilarity:
    """An item-item similarity held as sparse rows (CSR), for large catalogues."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n: int):
        self.indptr, self.indices, self.data, self.n = indptr, indices, data, n

    def product(self, profile: np.ndarray) -> np.ndarray:
        """``profile @ S`` for (rows, n) item weights, from the rows of the weighted items."""
        out = np.zeros(profile.shape, dtype=np.float32)
        for row in range(profile.shape[0]):
            items = np.flatnonzero(profile[row])
            lengths = self.indptr[items + 1] - self.indptr[items]
            gather = _ranges(self.indptr[items], lengths)
            if gather.size:
                out[row] = np.bincount(
                    self.indices[gather],
                    weights=self.data[gather] * np.repeat(profile[row, items], lengths),
                    minlength=self.n,
                )
        return out

    def between(self, item: int, others: np.ndarray) -> np.ndarray:
        """Similarities between one item and some others (S is symmetric)."""
        lo, hi = self.indptr[item], self.indptr[item + 1]
        columns, values = self.indices[lo:hi], self.data[lo:hi]
        where = np.searchsorted(columns, others)
        found = (where < len(columns)) & (columns[np.minimum(where, len(columns) - 1)] == others)
        result = np.zeros(len(others), dtype=np.float32)
        if len(columns):
            result[found] = values[where[found]]
        return result


# ---------------------------------------------------------------------------- ranking


@dataclass
class _Profile:
    """What the ranker derives for one person; built at context time or on demand."""

    index: int
    person: Person
    team: int
    site: int
    personas: np.ndarray  # indices into FeedContext.personas
    topic_profile: np.ndarray  # (topics,), max |value| = 1
    text_weights: dict[int, float]  # item index -> signed weight
    cf_weights: dict[int, float]  # item index -> weight (shares and clicks)
    excluded: np.ndarray  # item indices interacted with
    writing_similarity: np.ndarray | None
    fit_by_kind: np.ndarray  # (kinds,)
    fit_features: list[list[str]]  # per kind, the networks/personas that made it fit
    language_ok: np.ndarray  # (items,) bool
    campaign: np.ndarray  # (items,)
    activity: int


class FeedContext:
    """Everything computed once per organisation; `rank` and `rank_all` read it.

    Build it from the organisation's people, the items that can be suggested and the past
    interactions (only those at or before `now` are used).
    """

    def __init__(
        self,
        people: Sequence[Person],
        items: Sequence[Item],
        interactions: Iterable[Interaction],
        now: datetime,
        weights: Weights | None = None,
        *,
        text: TextIndex | None = None,
    ):
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        self.weights = weights or Weights()
        self.now = now
        self.people = list(people)
        self.items = list(items)
        self.person_index = {p.id: n for n, p in enumerate(self.people)}
        self.item_index = {item.id: n for n, item in enumerate(self.items)}
        self._describe_items()
        self._index_circles()
        self._index_text(text)
        self._index_campaigns()
        self._learn(interactions)

    # -- the builder's steps, in order: each reads what the ones before it set

    def _describe_items(self) -> None:
        """Topics (spread evenly over an item's), kinds, folded languages and ages in hours."""
        n_items = len(self.items)
        self.topics = sorted({t for item in self.items for t in item.topics})
        self.topic_index = {t: n for n, t in enumerate(self.topics)}
        self.item_topics = np.zeros((n_items, len(self.topics)), dtype=np.float32)
        for row, item in enumerate(self.items):
            for topic in item.topics:
                self.item_topics[row, self.topic_index[topic]] = 1.0 / len(item.topics)
        self.kinds = sorted({item.kind for item in self.items})
        self.kind_index = {k: n for n, k in enumerate(self.kinds)}
        self.item_kind = np.array([self.kind_index[i.kind] for i in self.items], dtype=np.int32)
        # An array, not a list of 200,000 strings: shared between processes (mapped).
        self.item_language = np.array([fold(item.language) for item in self.items], dtype=str)
        self.published_hours = np.array(
            [(self.now - item.published_at).total_seconds() / 3600 for item in self.items],
            dtype=np.float64,
        )
        self._language_masks: dict[frozenset[str], np.ndarray] = {}

    def _index_circles(self) -> None:
        """The people's teams, sites and audience personas: indices, sizes, memberships."""
        self.teams = sorted({p.team for p in self.people})
        self.sites = sorted({p.site for p in self.people})
        self.personas = sorted({a for p in self.people for a in p.audience})
        self.team_index = {t: n for n, t in enumerate(self.teams)}
        self.site_index = {s: n for n, s in enumerate(self.sites)}
        self.persona_index = {a: n for n, a in enumerate(self.personas)}
        team_of = np.array([self.team_index[p.team] for p in self.people], dtype=np.int64)
        site_of = np.array([self.site_index[p.site] for p in self.people], dtype=np.int64)
        self.team_of, self.site_of = team_of, site_of
        self.team_size = np.maximum(np.bincount(team_of, minlength=len(self.teams)), 1)
        self.site_size = np.maximum(np.bincount(site_of, minlength=len(self.sites)), 1)
        persona_count = Counter(a for p in self.people for a in p.audience)
        self.persona_size = np.array(
            [max(1, persona_count[a]) for a in self.personas], dtype=np.float32
        )
        self.persona_matrix = np.zeros((len(self.people), len(self.personas)), dtype=bool)
        for row, someone in enumerate(self.people):
            self.persona_matrix[row, [self.persona_index[a] for a in someone.audience]] = True

    def _index_text(self, text: TextIndex | None) -> None:
        """The items' TF-IDF vectors: `text` when it indexes these texts' count with the same
        analyzer (the caller knows the texts did not change), else built."""
        if text is None or text.n != len(self.items) or text.analyzer != self.weights.text_analyzer:
            text = TextIndex(self.item_texts(self.items), self.weights.text_analyzer)
        self.text = text
        # The (n, n) text similarity is only materialised to rank everybody at once
        # (`rank_all`) in a catalogue small enough; `rank` uses the sparse vectors.
        self.text_similarity: DenseSimilarity | TextIndex = self.text

    def _index_campaigns(self) -> None:
        """Campaign priorities in [0, 1], and the items aimed at some teams, networks or
        personas grouped by the targets they share (a campaign's items): a person is checked
        once per group, not once per item."""
        self.campaign_priority = np.array(
            [item.campaign_priority / 5.0 for item in self.items], dtype=np.float32
        )
        targeted: dict[tuple[tuple[str, ...], ...], list[int]] = defaultdict(list)
        for row, item in enumerate(self.items):
            if item.campaign_priority and (
                item.campaign_teams or item.campaign_networks or item.campaign_personas
            ):
                key = (
                    tuple(sorted(item.campaign_teams)),
                    tuple(sorted(item.campaign_networks)),
                    tuple(sorted(item.campaign_personas)),
                )
                targeted[key].append(row)
        self.targeted_campaigns = [
            (self.items[rows[0]], np.array(rows, dtype=np.int64)) for rows in targeted.values()
        ]

    def _learn(self, interactions: Iterable[Interaction], until: datetime | None = None) -> None:
        """Everything the past interactions (up to `until`, else the context's `now`) decide:
        histories, shelf lives, shares per team and site, co-shares, the fit of kinds;
        profiles are derived again when asked for."""
        self.history: dict[str, dict[int, set[str]]] = {}
        self.share_delays: list[tuple[int, float, int]] = []
        self.share_people = self.share_items = np.zeros(0, dtype=np.int64)
        self.shelf_life_hours = np.zeros(0)
        self._learn_more(interactions, until)

    def _learn_more(self, interactions: Iterable[Interaction], until: datetime | None) -> None:
        """Learn interactions on top of those learnt: the same as learning them all at once
        (in that order), the per-interaction work done for the new ones only."""
        now, n_items = until or self.now, len(self.items)
        # Past interactions, only up to now: the future is what evaluation holds out.
        history = dict(self.history)  # the people touched get their own copy below
        touched: set[str] = set()
        pairs: list[tuple[int, int]] = []
        delays = list(self.share_delays)
        kinds: set[int] = set()
        for interaction in interactions:
            if interaction.at > now or interaction.kind not in INTERACTION_KINDS:
                continue
            column = self.item_index.get(interaction.item)
            if column is None:
                continue
            person = interaction.person
            if person not in touched:
                touched.add(person)
                history[person] = {
                    item: set(found) for item, found in history.get(person, {}).items()
                }
            history[person].setdefault(column, set()).add(interaction.kind)
            person_row = self.person_index.get(person)
            if interaction.kind == "share" and person_row is not None:
                pairs.append((person_row, column))
                published = self.items[column].published_at
                delay = (interaction.at - published).total_seconds() / 3600
                kind = int(self.item_kind[column])
                delays.append((kind, max(delay, 0.0), column))
                kinds.add(kind)
        # Plain dicts: a context is pickled to be shared between processes (chorus.feed.shared).
        self.history = history
        self.share_delays = delays
        self.shelf_life_hours = self._learn_shelf_life(delays, kinds)
        # Shares per team / site, and the item-item co-share cosine (collaborative part).
        # A person sharing an item on several networks counts once: the pairs are unique,
        # sorted by person then item.
        added = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        keys = np.union1d(
            self.share_people * n_items + self.share_items, added[:, 0] * n_items + added[:, 1]
        ).astype(np.int64)
        self.share_people, self.share_items = keys // max(n_items, 1), keys % max(n_items, 1)
        share_people, share_items = self.share_people, self.share_items
        self.team_shares = GroupShares(self.team_of[share_people], share_items, n_items)
        self.site_shares = GroupShares(self.site_of[share_people], share_items, n_items)
        self.share_counts = np.bincount(share_items, minlength=n_items).astype(np.float32)
        self.co_share_similarity = self._co_share(share_people, share_items)
        self._learn_fit(share_people, share_items)
        self._profiles: list[_Profile] | None = None

    @property
    def profiles(self) -> list[_Profile]:
        """Everyone's profile from the context's histories, derived on first use: the live
        feed derives the asking person's from what they did a second ago instead."""
        if self._profiles is None:
            self._profiles = [self.profile(person) for person in self.people]
        return self._profiles

    @profiles.setter
    def profiles(self, value: list[_Profile]) -> None:
        self._profiles = value

    def with_interactions(
        self, interactions: Iterable[Interaction], now: datetime | None = None
    ) -> FeedContext:
        """A copy learnt from other interactions (e.g. with a colleague's new share): what
        the items, people and campaigns decide — the text index, topics, languages,
        freshness — is shared with this context, not computed again. Ranks exactly as a
        context built from scratch with these interactions (tested). Interactions up to
        `now` count (a share made since the context was built); ages stay counted from the
        context's `now`, as `rank(now=...)` does."""
        clone = replace_context(self)
        clone._learn(interactions, until=now)
        return clone

    def with_more_interactions(
        self, interactions: Iterable[Interaction], now: datetime | None = None
    ) -> FeedContext:
        """A copy that learnt these interactions besides the ones this context learnt (a
        colleague's new share): the same as `with_interactions` given all of them, the old
        ones first (tested), for the cost of the new ones and of the small derived arrays."""
        clone = replace_context(self)
        clone._learn_more(interactions, until=now)
        return clone

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_profiles"] = None  # derived again where needed
        state.pop("_kept_lives", None)
        return state

    def forget_item_texts(self) -> None:
        """Drop the items' titles and summaries, which only fed the text index: a context
        kept for long and shared by every process (the live feed's) weighs 70 MB less at
        200,000 items. The text index, rankings and reasons are unchanged."""
        self.items = [dataclasses.replace(item, title="", summary="") for item in self.items]

    @staticmethod
    def item_texts(items: Sequence[Item]) -> list[str]:
        """The text indexed for each item (the title counts twice)."""
        return [f"{i.title} {i.title} {i.summary}" for i in items]

    def _co_share(
        self, share_people: np.ndarray, share_items: np.ndarray
    ) -> DenseSimilarity | SparseSimilarity:
        """Item-item cosine of who shared them, shrunk: co-shares / (norm_a * norm_b + 2).

        A full matrix (one matrix product) up to `DENSE_ITEMS_LIMIT` items, sparse rows
        beyond: then only pairs of items shared by a same person are stored.
        """
        n_items = len(self.items)
        norms = np.sqrt(self.share_counts)
        if n_items <= DENSE_ITEMS_LIMIT:
            shares = np.zeros((len(self.people), n_items), dtype=np.float32)
            shares[share_people, share_items] = 1.0
            co_share = (shares.T @ shares) / (np.outer(norms, norms) + 2.0)  # 2: shrinkage
            np.fill_diagonal(co_share, 0.0)
            positive = co_share[co_share > 0]
            self.co_share_scale = float(np.percentile(positive, 90)) if positive.size else 1.0
            return DenseSimilarity(co_share)
        # Pairs (a, b), a != b, of items shared by a same person; pairs are sorted by person.
        starts = np.searchsorted(share_people, np.unique(share_people))
        ends = np.append(starts[1:], len(share_people))
        keys = [
            (share_items[lo:hi, None] * n_items + share_items[None, lo:hi]).ravel()
            for lo, hi in zip(starts, ends, strict=True)
            if hi - lo > 1
        ]
        pair_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        unique, counts = np.unique(pair_keys, return_counts=True)
        rows, columns = unique // n_items, unique % n_items
        off_diagonal = rows != columns
        rows, columns, counts = rows[off_diagonal], columns[off_diagonal], counts[off_diagonal]
        values = (counts / (norms[rows] * norms[columns] + 2.0)).astype(np.float32)
        self.co_share_scale = float(np.percentile(values, 90)) if values.size else 1.0
        indptr = np.zeros(n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_items), out=indptr[1:])
        return SparseSimilarity(indptr, columns, values, n_items)

    def _learn_shelf_life(
        self, delays: Sequence[tuple[int, float, int]], kinds: set[int]
    ) -> np.ndarray:
        """Mean hours from publication to share, per item kind (maximum likelihood), learnt
        again for `kinds` (those with new delays), the others kept.

        Delays are exponential, truncated at each item's age (a share of a day-old item
        can't be three days late), with a prior worth 5 shares at `Weights.half_life_hours`.
        """
        prior_mean = self.weights.half_life_hours / math.log(2)
        grid = np.geomspace(1.0, 24 * 120, 240)
        result = np.full(len(self.kinds), prior_mean)
        if len(self.shelf_life_hours) == len(self.kinds):
            result[:] = self.shelf_life_hours
        by_kind: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for kind, delay, item in delays:
            if kind in kinds:
                by_kind[kind].append((delay, max(self.published_hours[item], delay, 1e-3)))
        for kind, pairs in by_kind.items():
            delays_h = np.array([d for d, _ in pairs])[:, None]
            age = np.array([a for _, a in pairs])[:, None]
            log_likelihood = (-np.log(grid) - delays_h / grid - np.log(-np.expm1(-age / grid))).sum(
                axis=0
            ) + 5 * (-np.log(grid) - prior_mean / grid)
            result[kind] = grid[int(np.argmax(log_likelihood))]
        return result

    # -- learned fit of item kinds with networks and audience personas

    def _learn_fit(self, share_people: np.ndarray, share_items: np.ndarray) -> None:
        """Smoothed lift of each item kind among people with a given network or persona."""
        features = sorted(
            {f"network:{n}" for p in self.people for n in p.networks}
            | {f"audience:{a}" for p in self.people for a in p.audience}
        )
        self.fit_feature_index = {f: n for n, f in enumerate(features)}
        shares_by_kind = _count_by(  # (people, kinds)
            share_people, self.item_kind[share_items], len(self.people), len(self.kinds)
        )
        total_by_person = shares_by_kind.sum(axis=1)
        global_share = (shares_by_kind.sum(axis=0) + 1.0) / (shares_by_kind.sum() + len(self.kinds))
        self.fit_lift = np.ones((len(features), len(self.kinds)), dtype=np.float32)
        members: dict[int, list[int]] = defaultdict(list)
        for row, person in enumerate(self.people):
            for feature in self._fit_features(person):
                members[self.fit_feature_index[feature]].append(row)
        prior = 20.0  # shares worth of prior towards "no lift"
        for feature_row, rows in members.items():
            by_kind = shares_by_kind[rows].sum(axis=0)
            total = total_by_person[rows].sum()
            share = (by_kind + prior * global_share) / (total + prior)
            self.fit_lift[feature_row] = share / global_share

    @staticmethod
    def _fit_features(person: Person) -> list[str]:
        return [f"network:{n}" for n in person.networks] + [
            f"audience:{a}" for a in person.audience
        ]

    # -- per-person profile

    def profile(self, person: Person, history: Mapping[int, set[str]] | None = None) -> _Profile:
        """Derive a person's ranking profile from what they declared and what they did.

        `history` (item index -> interaction kinds) replaces what the context holds for
        the person, e.g. read again from the database since the context was built.
        """
        w = self.weights
        index = self.person_index.get(person.id, -1)
        if history is None:
            history = self.history.get(person.id, {})
        topic_profile = np.zeros(len(self.topics), dtype=np.float32)
        for topic in person.topics:
            if topic in self.topic_index:
                topic_profile[self.topic_index[topic]] = 1.0
        text_weights: dict[int, float] = {}
        cf_weights: dict[int, float] = {}
        shared_topics = np.zeros(len(self.topics), dtype=np.float32)
        dismissed_topics = np.zeros(len(self.topics), dtype=np.float32)
        for item, kinds in history.items():
            if "dismiss" in kinds:
                text_weights[item] = -w.dismiss_weight
                dismissed_topics += self.item_topics[item] > 0
            elif "share" in kinds:
                text_weights[item] = 1.0
                cf_weights[item] = 1.0
                shared_topics += self.item_topics[item] > 0
            elif "click" in kinds:
                text_weights[item] = w.click_weight
                cf_weights[item] = w.click_weight
        # initial=0: a catalogue may have no topics at all.
        if shared_topics.max(initial=0) > 0:
            topic_profile += w.shared_topic_weight * shared_topics / shared_topics.max()
        if dismissed_topics.max(initial=0) > 0:
            topic_profile -= w.dismissed_topic_weight * dismissed_topics / dismissed_topics.max()
        peak = np.abs(topic_profile).max(initial=0)
        if peak > 0:
            topic_profile /= peak

        languages = frozenset(fold(lang) for lang in person.languages if lang)
        language_ok = self._language_masks.get(languages)
        if language_ok is None:
            if languages:
                language_ok = (self.item_language == "") | np.isin(
                    self.item_language, sorted(languages)
                )
            else:
                language_ok = np.ones(len(self.items), dtype=bool)
            self._language_masks[languages] = language_ok
        features = [f for f in self._fit_features(person) if f in self.fit_feature_index]
        fit_by_kind = np.full(len(self.kinds), 0.5, dtype=np.float32)
        fit_features: list[list[str]] = [[] for _ in self.kinds]
        if features:
            lifts = self.fit_lift[[self.fit_feature_index[f] for f in features]]
            mean_lift = lifts.mean(axis=0)
            fit_by_kind = mean_lift / (1.0 + mean_lift)  # lift 1 -> 0.5
            for kind in range(len(self.kinds)):
                fit_features[kind] = [
                    f for f, lift in zip(features, lifts[:, kind], strict=True) if lift > 1.1
                ]

        campaign = self.campaign_priority
        for example, rows in self.targeted_campaigns:
            if not self._targets(example, person):
                if campaign is self.campaign_priority:
                    campaign = campaign.copy()  # shared until a campaign targets others
                campaign[rows] *= 0.2
        return _Profile(
            index=index,
            person=person,
            team=self.team_index.get(person.team, -1),
            site=self.site_index.get(person.site, -1),
            personas=np.array(
                [self.persona_index[a] for a in person.audience if a in self.persona_index],
                dtype=np.int64,
            ),
            topic_profile=topic_profile,
            text_weights=text_weights,
            cf_weights=cf_weights,
            excluded=np.array(sorted(history), dtype=np.int64),
            writing_similarity=(
                self.text.query_similarity(person.writings) if person.writings else None
            ),
            fit_by_kind=fit_by_kind.astype(np.float32),
            fit_features=fit_features,
            language_ok=language_ok,
            campaign=campaign,
            activity=sum(1 for kinds in history.values() if "share" in kinds),
        )

    @staticmethod
    def _targets(item: Item, person: Person) -> bool:
        return (
            person.team in item.campaign_teams
            or bool(set(person.networks) & set(item.campaign_networks))
            or bool(set(person.audience) & set(item.campaign_personas))
        )

    def history_of(
        self, person_id: str, interactions: Iterable[Interaction], now: datetime | None = None
    ) -> dict[int, set[str]]:
        """A person's history (item index -> kinds) from their interactions up to `now`."""
        until = now or self.now
        history: dict[int, set[str]] = defaultdict(set)
        for interaction in interactions:
            if (
                interaction.person != person_id
                or interaction.at > until
                or interaction.kind not in INTERACTION_KINDS
            ):
                continue
            column = self.item_index.get(interaction.item)
            if column is not None:
                history[column].add(interaction.kind)
        return dict(history)

    # -- scoring

    def freshness(self, now: datetime | None = None) -> np.ndarray:
        """Freshness factor per item in [floor, 1]; items not yet published get 0."""
        w = self.weights
        hours = self.published_hours
        if now is not None and now != self.now:
            hours = hours + (now - self.now).total_seconds() / 3600
        life, within = self._lives()
        # P(a share is still to come, and comes within the horizon | it will happen).
        decay = np.exp(-np.maximum(hours, 0) / life) * within
        factor = w.freshness_floor + (1 - w.freshness_floor) * decay
        # Float64: items a few milliseconds apart must keep the same order from one
        # request to the next (float32 rounding made their order depend on the clock).
        return np.where(hours < 0, 0.0, factor).astype(np.float64)

    def _lives(self) -> tuple[np.ndarray, np.ndarray]:
        """Each item's shelf life and the chance a share comes within the horizon: the same
        for every request until the shelf lives are learnt again (kept with them)."""
        kept = self.__dict__.get("_kept_lives")
        if kept is None or kept[0] is not self.shelf_life_hours:
            life = self.shelf_life_hours[self.item_kind]
            within = -np.expm1(-self.weights.horizon_hours / life)
            kept = self._kept_lives = (self.shelf_life_hours, life, within)
        return kept[1], kept[2]

    def score_block(
        self, profiles: Sequence[_Profile], now: datetime | None = None
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """Scores, components and freshness for several people at once (rows = people).

        Excluded items (interacted with, wrong language, not yet published) score -inf.
        """
        w = self.weights
        rows, n_items = len(profiles), len(self.items)
        topic_profiles = np.stack([p.topic_profile for p in profiles])
        components = {"topic": np.clip(topic_profiles @ self.item_topics.T, 0, 1)}

        text_profile = np.zeros((rows, n_items), dtype=np.float32)
        cf_profile = np.zeros((rows, n_items), dtype=np.float32)
        for row, profile in enumerate(profiles):
            if profile.text_weights:
                keys = np.fromiter(profile.text_weights, dtype=np.int64)
                text_profile[row, keys] = np.fromiter(profile.text_weights.values(), np.float32)
            if profile.cf_weights:
                keys = np.fromiter(profile.cf_weights, dtype=np.int64)
                cf_profile[row, keys] = np.fromiter(profile.cf_weights.values(), np.float32)
        projected = self.text_similarity.product(text_profile)
        norms = np.sqrt(np.maximum(np.einsum("ij,ij->i", projected, text_profile), 1e-9))
        text = np.clip(projected / norms[:, None], 0, 1)
        for row, profile in enumerate(profiles):
            if profile.writing_similarity is not None:
                if profile.text_weights:
                    text[row] = 0.7 * text[row] + 0.3 * profile.writing_similarity
                else:
                    text[row] = profile.writing_similarity
        components["text"] = text
        cf_total = np.maximum(cf_profile.sum(axis=1, keepdims=True), 1.0)
        components["similar_colleagues"] = np.clip(
            self.co_share_similarity.product(cf_profile) / cf_total / self.co_share_scale, 0, 1
        )
        nearby = np.zeros((rows, n_items), dtype=np.float32)
        for row, profile in enumerate(profiles):
            if profile.team >= 0:
                nearby[row] += self.team_shares[profile.team]
            if profile.site >= 0:
                nearby[row] += 0.5 * self.site_shares[profile.site]
        components["popular_nearby"] = 1 - np.exp(-nearby / 2)
        components["campaign"] = np.stack([p.campaign for p in profiles])
        components["fit"] = np.stack([p.fit_by_kind[self.item_kind] for p in profiles])

        relevance = sum(getattr(w, name) * components[name] for name in COMPONENTS)
        fresh = self.freshness(now)
        scores = np.asarray(relevance * fresh[None, :], dtype=np.float64)
        for row, profile in enumerate(profiles):
            if w.language_penalty is None:
                scores[row, ~profile.language_ok] = -np.inf
            else:
                scores[row, ~profile.language_ok] *= w.language_penalty
            scores[row, profile.excluded] = -np.inf
        scores[:, fresh <= 0] = -np.inf
        return scores, components, fresh

    # -- allocation

    def overlap(
        self,
        profile: _Profile,
        team_holders: np.ndarray,
        site_holders: np.ndarray,
        persona_holders: np.ndarray,
    ) -> np.ndarray:
        """How much of a person's circles already hold each item, from per-group holder counts.

        Each circle counts as the fraction of its members holding the item: a holder in a
        team of 8 weighs far more than one on a site of 2,000, because a colleague's audience
        overlaps yours in proportion to how close you are, not to how big the site is.
        """
        return self._overlap(
            profile,
            team_holders[profile.team] if profile.team >= 0 else None,
            site_holders[profile.site] if profile.site >= 0 else None,
            persona_holders[profile.personas],
        )

    def _overlap(
        self,
        profile: _Profile,
        team_row: np.ndarray | None,
        site_row: np.ndarray | None,
        persona_rows: np.ndarray,
    ) -> np.ndarray:
        """`overlap` from the holder counts of the person's own team, site and personas."""
        w = self.weights
        result = np.zeros(len(self.items), dtype=np.float32)
        if team_row is not None:
            result += w.team_overlap * team_row / self.team_size[profile.team]
        if site_row is not None:
            result += w.site_overlap * site_row / self.site_size[profile.site]
        if len(profile.personas):
            fractions = persona_rows / self.persona_size[profile.personas, None]
            result += w.audience_overlap * fractions.mean(axis=0)
        return result

    def _circle_holders(
        self, profile: _Profile, items: np.ndarray, people: np.ndarray
    ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray]:
        """Holders of each item in the person's team, site and each persona: the rows of
        `_holder_counts` that `overlap` reads, without counting every group's (at 200,000
        items, tables of groups x items allocated on every request)."""
        n_items = len(self.items)

        def count(holders: np.ndarray) -> np.ndarray:
            return np.bincount(items[holders], minlength=n_items).astype(np.float32)

        team = count(self.team_of[people] == profile.team) if profile.team >= 0 else None
        site = count(self.site_of[people] == profile.site) if profile.site >= 0 else None
        personas = np.zeros((len(profile.personas), n_items), dtype=np.float32)
        for row, persona in enumerate(profile.personas):
            personas[row] = count(self.persona_matrix[people, persona])
        return team, site, personas

    def holding(self, queued_or_shared_by: Mapping[str, Iterable[str]] | Holding | None) -> Holding:
        """Who holds what, as index arrays; build it once to rank many people with it.

        `queued_or_shared_by` maps an item id to the ids of people who have it queued or
        shared; unknown items and people are left out.
        """
        if isinstance(queued_or_shared_by, Holding):
            return queued_or_shared_by
        items: list[int] = []
        people: list[int] = []
        for item_id, holders in (queued_or_shared_by or {}).items():
            item = self.item_index.get(item_id)
            if item is None:
                continue
            for person_id in holders:
                person = self.person_index.get(person_id)
                if person is not None:
                    items.append(item)
                    people.append(person)
        return Holding(np.array(items, dtype=np.int64), np.array(people, dtype=np.int64))

    def _holder_counts(
        self, items: np.ndarray, people: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-group counts of people holding each item (rows: teams, sites, personas)."""
        n_items = len(self.items)
        team = _count_by(self.team_of[people], items, len(self.teams), n_items)
        site = _count_by(self.site_of[people], items, len(self.sites), n_items)
        holder_rows, personas = np.nonzero(self.persona_matrix[people])
        persona = _count_by(personas, items[holder_rows], len(self.personas), n_items)
        return team, site, persona

    def _colleagues_holding(self, profile: _Profile, people: Sequence[int]) -> int:
        """How many of `people` share a team, a site or an audience persona with the person."""
        others = np.array([p for p in people if p != profile.index], dtype=np.int64)
        if not others.size:
            return 0
        close = (self.team_of[others] == profile.team) | (self.site_of[others] == profile.site)
        if len(profile.personas):
            close |= self.persona_matrix[np.ix_(others, profile.personas)].any(axis=1)
        return int(np.count_nonzero(close))

    def rank(
        self,
        person: Person | str,
        k: int = 10,
        *,
        queued_or_shared_by: Mapping[str, Iterable[str]] | Holding | None = None,
        now: datetime | None = None,
        interactions: Iterable[Interaction] | None = None,
    ) -> list[Suggestion]:
        """The best `k` items for one person, pushed down where colleagues already have them.

        `person` is an id of the organisation, or a `Person` (e.g. with edited topics: the
        profile is then rebuilt from it and the stored history). `queued_or_shared_by` maps
        an item id to the ids of people who have it queued or shared (or is a `Holding`).
        `interactions`, when given, are the person's own interactions up to `now`; they
        replace the history the context was built with, so a context built earlier for the
        whole organisation still ranks with what the person did a second ago.
        """
        person_id = person if isinstance(person, str) else person.id
        history = None if interactions is None else self.history_of(person_id, interactions, now)
        if isinstance(person, str):
            index = self.person_index[person]
            profile = self.profiles[index] if history is None else self.profile(
                self.people[index], history
            )  # fmt: skip
        else:
            profile = self.profile(person, history)
        scores, components, fresh = self.score_block([profile], now)
        holding = self.holding(queued_or_shared_by)
        others = holding.people != profile.index
        items, people = holding.items[others], holding.people[others]
        overlap = self._overlap(profile, *self._circle_holders(profile, items, people))
        row = scores[0] / (1 + self.weights.allocation_weight * overlap)
        chosen = _top_k(row, k)
        holders = {item: people[items == item].tolist() for item in chosen}
        return [
            self._suggestion(
                profile,
                item,
                row[item],
                components,
                0,
                fresh,
                self._pushed(profile, item, overlap, holders),
                now,
            )
            for item in chosen
        ]

    def _pushed(
        self,
        profile: _Profile,
        item: int,
        overlap: np.ndarray,
        holders: Mapping[int, Sequence[int]],
    ) -> tuple[float, int] | None:
        if overlap[item] <= 0:
            return None
        return float(overlap[item]), self._colleagues_holding(profile, holders.get(item, []))

    def rank_all(
        self,
        k: int = 10,
        *,
        queued_or_shared_by: Mapping[str, Iterable[str]] | Holding | None = None,
        now: datetime | None = None,
        allocate: bool = True,
        block: int = 256,
    ) -> dict[str, list[Suggestion]]:
        """Rank every person, allocating greedily so overlapping colleagues get different items.

        People are served in order of how much they shared (the likeliest sharers get their
        best items first, ties by id); each later person sees an item's score divided by
        ``1 + allocation_weight * overlap`` (see `overlap`), counting the colleagues who have
        it queued or shared and those it was allocated to earlier in this pass.
        """
        if self.text_similarity is self.text and len(self.items) <= DENSE_ITEMS_LIMIT:
            # Ranking everybody: one (n, n) matrix turns each block into a matrix product.
            self.text_similarity = DenseSimilarity(self.text.item_similarity())
        holding = self.holding(queued_or_shared_by if allocate else None)
        holders: dict[int, list[int]] = defaultdict(list)
        for item, person in zip(holding.items.tolist(), holding.people.tolist(), strict=True):
            holders[item].append(person)
        team_holders, site_holders, persona_holders = self._holder_counts(
            holding.items, holding.people
        )
        order = sorted(range(len(self.people)),
                       key=lambda n: (-self.profiles[n].activity, self.people[n].id))  # fmt: skip
        results: dict[str, list[Suggestion]] = {}
        for start in range(0, len(order), block):
            rows = order[start : start + block]
            scores, components, fresh = self.score_block([self.profiles[n] for n in rows], now)
            for offset, person in enumerate(rows):
                profile = self.profiles[person]
                row = scores[offset]
                overlap = np.zeros(len(self.items), dtype=np.float32)
                if allocate:
                    overlap = self.overlap(profile, team_holders, site_holders, persona_holders)
                    row = row / (1 + self.weights.allocation_weight * overlap)
                chosen = _top_k(row, k)
                results[self.people[person].id] = [
                    self._suggestion(
                        profile,
                        item,
                        row[item],
                        components,
                        offset,
                        fresh,
                        self._pushed(profile, item, overlap, holders),
                        now,
                    )
                    for item in chosen
                ]
                if allocate:
                    team_holders[profile.team, chosen] += 1
                    site_holders[profile.site, chosen] += 1
                    for persona in profile.personas:
                        persona_holders[persona, chosen] += 1
                    for item in chosen:
                        holders[item].append(person)
        return results

    # -- explanations

    def _suggestion(
        self,
        profile: _Profile,
        item: int,
        score: float,
        components: Mapping[str, np.ndarray],
        row: int,
        fresh: np.ndarray,
        pushed: tuple[float, int] | None,
        now: datetime | None = None,
    ) -> Suggestion:
        values = {name: float(components[name][row, item]) for name in COMPONENTS}
        values["freshness"] = float(fresh[item])
        if pushed:
            values["overlap"] = pushed[0]
        return Suggestion(
            item_id=self.items[item].id,
            score=float(score),
            components=values,
            reasons=self.explain(profile, item, values, pushed, now),
        )

    def explain(
        self,
        profile: _Profile,
        item: int,
        values: Mapping[str, float],
        pushed: tuple[float, int] | None = None,
        now: datetime | None = None,
    ) -> list[tuple[str, dict]]:
        """Reason codes with parameters, from the components that weigh most in the score.

        A component is stated when it brings at least 15% of the relevance; the strongest
        comes first. Freshness and the allocation push-down are stated when they apply.
        """
        w = self.weights
        contributions = {name: getattr(w, name) * values[name] for name in COMPONENTS}
        relevance = sum(contributions.values()) or 1.0
        reasons: list[tuple[str, dict]] = []
        the_item = self.items[item]
        for name, contribution in sorted(contributions.items(), key=lambda kv: -kv[1]):
            if contribution < 0.15 * relevance or contribution <= 0:
                continue
            if name == "topic":
                matched = [
                    t
                    for _, t in sorted(
                        (profile.topic_profile[self.topic_index[t]], t)
                        for t in the_item.topics
                        if profile.topic_profile[self.topic_index[t]] > 0
                    )[::-1]
                ]
                # "Your topics" are the ones the person chose; a topic only learnt from what
                # they shared is said as such, so nobody reads a choice they never made.
                declared = set(profile.person.topics)
                chosen = [t for t in matched if t in declared]
                learnt = [t for t in matched if t not in declared]
                if chosen:
                    reasons.append(("topic_match", {"topics": chosen}))
                elif learnt:
                    reasons.append(("topic_of_your_shares", {"topics": learnt}))
            elif name == "text":
                liked = np.array(
                    [other for other, weight in profile.text_weights.items() if weight > 0],
                    dtype=np.int64,
                )
                similar = sorted(
                    zip(self.text_similarity.between(item, liked), liked.tolist(), strict=True),
                    reverse=True,
                )[:2]
                if similar:
                    reasons.append(("similar_to_your_shares",
                                    {"items": [self.items[o].id for _, o in similar]}))  # fmt: skip
                else:
                    reasons.append(("similar_to_your_writing", {}))
            elif name == "similar_colleagues":
                shared_before = np.fromiter(profile.cf_weights, dtype=np.int64)
                because = sorted(
                    zip(
                        self.co_share_similarity.between(item, shared_before),
                        shared_before.tolist(),
                        strict=True,
                    ),
                    reverse=True,
                )[:2]
                shared = [self.items[other].id for _, other in because]
                reasons.append(("shared_by_similar_colleagues", {"because_you_shared": shared}))
            elif name == "popular_nearby":
                team = int(self.team_shares[profile.team, item]) if profile.team >= 0 else 0
                site = int(self.site_shares[profile.site, item]) if profile.site >= 0 else 0
                reasons.append(("popular_with_colleagues", {"team": team, "site": site}))
            elif name == "campaign":
                reasons.append(("campaign_priority", {
                    "priority": the_item.campaign_priority,
                    "targeted": self._targets(the_item, profile.person),
                }))  # fmt: skip
            elif name == "fit":
                kind = self.kind_index[the_item.kind]
                reasons.append(("fits_your_networks", {
                    "kind": the_item.kind, "because": profile.fit_features[kind],
                }))  # fmt: skip
        if values["freshness"] >= 0.5:
            hours = self.published_hours[item]
            if now is not None:
                hours += (now - self.now).total_seconds() / 3600
            hours = int(hours)
            reasons.append(("fresh", {"hours": max(hours, 0)}))
        if pushed:
            reasons.append(("pushed_down_overlap", {"colleagues": pushed[1]}))
        return reasons

    def with_person(self, person: Person) -> FeedContext:
        """A copy whose profile for `person` is rebuilt (e.g. after they edited their topics)."""
        clone = replace_context(self)
        clone.people = [person if p.id == person.id else p for p in self.people]
        clone.profiles = list(self.profiles)
        clone.profiles[self.person_index[person.id]] = self.profile(person)
        return clone


def replace_context(context: FeedContext) -> FeedContext:
    """A shallow copy of a context (the heavy matrices are shared)."""
    clone = FeedContext.__new__(FeedContext)
    clone.__dict__.update(context.__dict__)
    return clone


class GroupShares:
    """How many people of each group (team or site) shared each item, read a row at a time
    from the unique (person, item) share pairs: a table of groups x items would be copied
    into every process learning a new share (tens of MB at 200,000 items), and a row costs
    one `bincount` over the pairs."""

    def __init__(self, group_of_pair: np.ndarray, items: np.ndarray, n_items: int):
        self.groups, self.items, self.n_items = group_of_pair, items, n_items

    def __getitem__(self, key: int | tuple[int, int]) -> Any:
        """``[group]``: the group's row (float32 counts); ``[group, item]``: one count."""
        if isinstance(key, tuple):
            group, item = key
            return np.float32(np.count_nonzero((self.groups == group) & (self.items == item)))
        return np.bincount(self.items[self.groups == key], minlength=self.n_items).astype(
            np.float32
        )


def _count_by(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> np.ndarray:
    """A (n_rows, n_columns) float32 table counting the (row, column) pairs."""
    flat = np.bincount(rows * n_columns + columns, minlength=n_rows * n_columns)
    return flat.reshape(n_rows, n_columns).astype(np.float32)


def _top_k(row: np.ndarray, k: int) -> list[int]:
    """Indices of the k highest finite scores, best first (ties broken by index)."""
    finite = np.flatnonzero(np.isfinite(row))
    if finite.size == 0 or k <= 0:
        return []
    values = row[finite]
    if finite.size > k:
        part = np.argpartition(-values, k - 1)[:k]
        finite, values = finite[part], values[part]
    order = np.lexsort((finite, -values))
    return [int(i) for i in finite[order]]


__all__ = [
    "COMPONENTS",
    "DENSE_ITEMS_LIMIT",
    "INTERACTION_KINDS",
    "FeedContext",
    "Holding",
    "Interaction",
    "Item",
    "Person",
    "Suggestion",
    "TextIndex",
    "Weights",
    "fold",
    "terms",
]
