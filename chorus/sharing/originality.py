"""How much of a share is the person's own words, and how many colleagues posted the same text.

When every colleague posts the suggested caption word for word, readers see the same post
again and again and stop reading it (the "parrot effect"). Two figures let the composer
warn before that happens:

- ``own_words``: the share of the person's words that are not taken from the item's
  suggested captions. A word counts as taken when it sits in a run of three consecutive
  words (fewer for very short texts) that also appears in a suggestion, so moving sentences
  around or adding a hashtag does not make a copied caption "original".
- ``NearDuplicateIndex``: colleagues' recent texts that are near-identical to this one,
  by the Dice similarity of their sets of word pairs (2-grams, "shingles").

Texts are compared as words only: URLs (the tracked link differs for every person) and the
given links are removed, case and accents are folded (NFKD), and punctuation, emoji and the
"#"/"@" of hashtags and mentions are dropped. docs/originality.md has the measurements that
chose this method and its thresholds.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import numpy as np

# A word is "taken" when it sits in a run of this many words found in a suggestion.
OWN_WORDS_NGRAM = 3
# Texts are compared by their sets of word n-grams of this size.
SIMILARITY_NGRAM = 2
# A share whose word 2-grams overlap a colleague's this much (Dice) reads as the same post:
# a changed link, a few added words or swapped sentences stay above it, a personal text
# about the same item stays far below (docs/originality.md).
NEAR_DUPLICATE_THRESHOLD = 0.8

# Any http(s) URL, and the "www." ones people paste without a scheme.
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# Letters and digits only: "#Climat" and "@alice" become words, "l'équipe" two words.
_WORD = re.compile(r"[^\W_]+")

Key = TypeVar("Key")


def words(text: str, links: Iterable[str] = ()) -> list[str]:
    """Return the text's words as compared: no URLs or given links, case and accents folded."""
    # URLs first, whole, so that a given link does not leave its query string behind.
    text = _URL.sub(" ", text)
    for link in links:
        if link:
            text = text.replace(link, " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(folded)


def _ngrams(tokens: Sequence[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[start : start + size]) for start in range(len(tokens) - size + 1)}


def own_words(text: str, suggestions: Sequence[str], links: Iterable[str] = ()) -> float:
    """Return the share (0..1) of the text's words that are not taken from the suggestions.

    A word is taken when a run of three consecutive words containing it appears in one of
    the suggestions; with a text or a suggestion shorter than three words the run is that
    short. A text without words (empty, or only a link) has nothing taken: 1.0.
    """
    links = tuple(links)
    tokens = words(text, links)
    if not tokens:
        return 1.0
    taken = [False] * len(tokens)
    for suggestion in suggestions:
        suggestion_tokens = words(suggestion, links)
        size = min(OWN_WORDS_NGRAM, len(tokens), len(suggestion_tokens))
        if size == 0:
            continue
        copied = _ngrams(suggestion_tokens, size)
        for start in range(len(tokens) - size + 1):
            if tuple(tokens[start : start + size]) in copied:
                taken[start : start + size] = [True] * size
    return 1.0 - sum(taken) / len(tokens)


def signature(text: str, links: Iterable[str] = ()) -> bytes:
    """Return what to store with a share to find its near-duplicates without its text.

    The sorted hashes of the text's word 2-grams (its only word when it has one), as
    little-endian 32-bit integers: at most 4 bytes per word. An empty text gives ``b""``,
    which matches nothing.
    """
    tokens = words(text, links)
    size = min(SIMILARITY_NGRAM, len(tokens))
    if size == 0:
        return b""
    hashes = {
        int.from_bytes(hashlib.blake2b(" ".join(gram).encode(), digest_size=4).digest(), "little")
        for gram in _ngrams(tokens, size)
    }
    return np.array(sorted(hashes), dtype="<u4").tobytes()


def _hashes(signature: bytes) -> np.ndarray:
    return np.frombuffer(signature, dtype="<u4")


def similarity(first: bytes, second: bytes) -> float:
    """Return how alike two texts are (0..1) from their signatures: Dice of their 2-gram sets."""
    if not first or not second:
        return 0.0
    left, right = _hashes(first), _hashes(second)
    common = np.intersect1d(left, right, assume_unique=True).size
    return 2 * common / (left.size + right.size)


class NearDuplicateIndex(Generic[Key]):
    """Colleagues' texts, to find those near-identical to a new one.

    Built from ``(key, text)`` pairs, or from stored signatures with ``from_signatures`` so
    that nothing is tokenised again. A lookup finds, for each 2-gram hash of the text, the
    texts that contain it (a sorted array searched by bisection), counts the 2-grams each
    shares and keeps those whose exact Dice similarity reaches the threshold: about a
    millisecond over 10,000 texts (benchmarks/near-duplicates). Texts sharing no 2-gram are
    never returned. Keys are the caller's (a share id); give each text once, and `discard` a
    key before adding its new text. The index is meant to be kept and grown as shares arrive
    (`chorus.sharing.share_check.colleagues_index`), not rebuilt for every lookup.
    """

    # Texts added one by one wait in a short list, compared pairwise, until this many make a
    # re-sort of the arrays worth it: a re-sort per added text would cost more than a lookup.
    MERGE_EVERY = 256

    def __init__(self, texts: Iterable[tuple[Key, str]] = ()) -> None:
        self._keys: list[Key] = []
        self._sizes = np.zeros(0, dtype=np.int32)
        self._hashes = np.zeros(0, dtype="<u4")
        self._owners = np.zeros(0, dtype=np.int32)
        self._pending: list[tuple[Key, bytes]] = []
        self._pending_sets: list[set[int]] = []
        # Texts taken out (`discard`) stay in the arrays, masked, until a rebuild.
        self._position: dict[Key, int] = {}
        self._removed = np.zeros(0, dtype=bool)
        self._removed_count = 0
        self._extend([(key, signature(text)) for key, text in texts])

    @classmethod
    def from_signatures(cls, signatures: Iterable[tuple[Key, bytes]]) -> NearDuplicateIndex[Key]:
        """Build the index from ``(key, signature(text))`` pairs, as stored with each share."""
        index: NearDuplicateIndex[Key] = cls()
        index._extend(list(signatures))
        return index

    def __len__(self) -> int:
        return len(self._keys) - self._removed_count + len(self._pending)

    def __contains__(self, key: object) -> bool:
        position = self._position.get(key)  # type: ignore[call-overload,arg-type]
        if position is not None and not self._removed[position]:
            return True
        return any(pending_key == key for pending_key, _ in self._pending)

    def discard(self, key: Key) -> None:
        """Take a text out (a share cancelled, edited or too old); unknown keys are ignored."""
        for position, (pending_key, _) in enumerate(self._pending):
            if pending_key == key:
                del self._pending[position], self._pending_sets[position]
                return
        found = self._position.get(key)
        if found is not None and not self._removed[found]:
            self._removed[found] = True
            self._removed_count += 1

    @property
    def removed(self) -> int:
        """How many texts were taken out but still take room in the arrays."""
        return self._removed_count

    def add(self, key: Key, text: str, links: Iterable[str] = ()) -> bytes:
        """Add a colleague's text; return its signature, for the caller to store."""
        text_signature = signature(text, links)
        self.add_signature(key, text_signature)
        return text_signature

    def add_signature(self, key: Key, text_signature: bytes) -> None:
        """Add a colleague's text by its stored signature."""
        self._pending.append((key, text_signature))
        self._pending_sets.append(set(_hashes(text_signature).tolist()))
        if len(self._pending) >= self.MERGE_EVERY:
            pending, self._pending, self._pending_sets = self._pending, [], []
            self._extend(pending)

    def query(
        self, text: str, threshold: float = NEAR_DUPLICATE_THRESHOLD, links: Iterable[str] = ()
    ) -> list[tuple[Key, float]]:
        """Return ``(key, similarity)`` of texts at least ``threshold`` alike, most alike first."""
        return self.query_signature(signature(text, links), threshold)

    def query_signature(
        self, text_signature: bytes, threshold: float = NEAR_DUPLICATE_THRESHOLD
    ) -> list[tuple[Key, float]]:
        """Like ``query``, for a text given by its signature."""
        hashes = _hashes(text_signature)
        if not hashes.size:
            return []
        found: list[tuple[Key, float]] = []
        if self._keys:
            first = np.searchsorted(self._hashes, hashes, side="left")
            counts = np.searchsorted(self._hashes, hashes, side="right") - first
            total = int(counts.sum())
            if total:
                # Positions first[i] .. first[i] + counts[i] - 1 for every 2-gram i, flattened.
                offsets = np.repeat(first - (np.cumsum(counts) - counts), counts)
                owners = self._owners[offsets + np.arange(total)]
                shared = np.bincount(owners, minlength=len(self._keys))
                if self._removed_count:
                    shared[self._removed] = 0
                candidates = np.flatnonzero(shared)
                scores = 2 * shared[candidates] / (hashes.size + self._sizes[candidates])
                for position, score in zip(candidates.tolist(), scores.tolist(), strict=True):
                    if score >= threshold:
                        found.append((self._keys[position], score))
        if self._pending:
            wanted = set(hashes.tolist())
            for (key, _), pending in zip(self._pending, self._pending_sets, strict=True):
                common = len(wanted & pending)
                if common:
                    score = 2 * common / (len(wanted) + len(pending))
                    if score >= threshold:
                        found.append((key, score))
        found.sort(key=lambda match: match[1], reverse=True)
        return found

    def _extend(self, signatures: list[tuple[Key, bytes]]) -> None:
        if not signatures:
            return
        if any(len(value) % 4 for _, value in signatures):
            raise ValueError("a signature is a whole number of 32-bit hashes")
        start = len(self._keys)
        self._keys.extend(key for key, _ in signatures)
        self._position.update((key, start + n) for n, (key, _) in enumerate(signatures))
        self._removed = np.concatenate([self._removed, np.zeros(len(signatures), dtype=bool)])
        sizes = np.array([len(value) // 4 for _, value in signatures], dtype=np.int32)
        owners = np.repeat(np.arange(start, start + len(signatures), dtype=np.int32), sizes)
        hashes = np.concatenate([self._hashes, _hashes(b"".join(value for _, value in signatures))])
        owners = np.concatenate([self._owners, owners])
        order = np.argsort(hashes)
        self._hashes, self._owners = hashes[order], owners[order]
        self._sizes = np.concatenate([self._sizes, sizes])


@dataclass(frozen=True)
class Check:
    """The originality figures of one share, for the composer to phrase.

    ``identical_share`` is the share of words taken from the suggestions, rounded to two
    decimals (0.92 for "92 % identical"); ``near_duplicates`` counts the colleagues' texts
    at least ``NEAR_DUPLICATE_THRESHOLD`` alike, and ``max_similarity`` is the closest one's,
    below the threshold too (0.0 when no colleague text shares a 2-gram).
    """

    originality: float
    identical_share: float
    near_duplicates: int
    max_similarity: float


class ColleagueTexts(Protocol):
    """What `check` asks of the colleagues' texts: a `NearDuplicateIndex`, or a view of one."""

    def query(
        self, text: str, threshold: float = ..., links: Iterable[str] = ...
    ) -> list[tuple[Any, float]]: ...


def check(
    text: str,
    suggestions: Sequence[str],
    colleagues_index: ColleagueTexts,
    links: Iterable[str] = (),
    threshold: float = NEAR_DUPLICATE_THRESHOLD,
) -> Check:
    """Measure a share's own words against the suggestions and its colleagues' near-duplicates."""
    links = tuple(links)
    originality = own_words(text, suggestions, links)
    # Every colleague text sharing a 2-gram, so the closest one is known even below threshold.
    matches = colleagues_index.query(text, threshold=0.0, links=links)
    return Check(
        originality=originality,
        identical_share=round(1.0 - originality, 2),
        near_duplicates=sum(1 for _, score in matches if score >= threshold),
        max_similarity=matches[0][1] if matches else 0.0,
    )
