"""What every network client promises, and the two helpers every network shares:
`backoff()` after retryable errors and `retry_after()` from rate-limit headers.

A client is a plain module-level object with no Django models: the worker hands it the
connection's decrypted credentials (a dict it may update, e.g. a refreshed session, which the
caller then saves encrypted) and a `Post`, and gets back `Published` or one of the errors
below. Clients talk to user-given servers (Mastodon, a Bluesky PDS) only through
`chorus.lib.safe_fetch.request`, so the SSRF guard applies to them as to every fetch.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

from django.utils.dateparse import parse_datetime

Credentials = dict[str, Any]


@dataclass(frozen=True)
class PostImage:
    """An image to upload with a post, already fitted to the network's limits."""

    data: bytes
    mime_type: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class Post:
    """One post to publish. `text` already contains `url` (the person's tracked link);
    `images`, in order, are uploaded natively and replace the link card where the network
    shows one or the other."""

    text: str
    url: str = ""
    title: str = ""
    description: str = ""
    language: str = ""
    # Stable per share: sent as Mastodon's Idempotency-Key; used to reconcile elsewhere.
    idempotency_key: str = ""
    images: tuple[PostImage, ...] = ()


@dataclass(frozen=True)
class Published:
    remote_id: str
    remote_url: str = ""


@dataclass(frozen=True)
class Account:
    """Who a connection posts as."""

    remote_id: str
    handle: str
    display_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class PublishError(Exception):
    """Base of every client error. `code` is stable and machine-readable; `message` is
    plain English for logs (the UI translates by code)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class RetryableError(PublishError):
    """Try again later: 429, 5xx, a timeout before anything was sent. `retry_after` is in
    seconds when the network said (Retry-After, x-rate-limit-reset, ratelimit-reset)."""

    def __init__(self, code: str, message: str = "", *, retry_after: float | None = None):
        super().__init__(code, message)
        self.retry_after = retry_after


class UnknownOutcome(RetryableError):
    """The request was sent but no answer came (timeout after sending): the post may exist.
    The caller must reconcile (`find_published`) before trying again, unless the network
    deduplicates by idempotency key (Mastodon)."""


class PermanentError(PublishError):
    """Do not retry: the text is refused (too long, duplicate), permission missing…"""


class ReconnectError(PermanentError):
    """The token expired or was revoked: the person must reconnect the network."""


@dataclass(frozen=True)
class Metrics:
    """The engagement counts a network shows for one post, at the time of asking.

    Each network names them its own way: `reactions` are likes, favourites or LinkedIn
    reactions of every kind; `reposts` are boosts, reposts or retweets; `quotes` are
    reposts with a comment of their own. `impressions` is None where the network does not
    say. `raw` keeps the network's own figures, a few numbers, for later questions.
    """

    reactions: int = 0
    comments: int = 0
    reposts: int = 0
    quotes: int = 0
    impressions: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)


def metric_count(value: object) -> int:
    """Read one count from a network's answer: anything but a non-negative integer is 0,
    so a malformed figure cannot poison the totals."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return max(0, value)


class MetricsUnavailable(PermanentError):
    """The network (or this connection) gives no counts: no AppView is configured for
    Bluesky, or LinkedIn did not grant the scope that reads them. Nothing was sent."""


class Client(Protocol):
    network: str

    def verify(self, credentials: Credentials) -> Account:
        """Check the credentials work and say who they post as (used when connecting)."""
        ...

    def publish(self, credentials: Credentials, post: Post) -> Published: ...

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        """After an UnknownOutcome: the post if it was published after all, else None."""
        ...

    def revoke(self, credentials: Credentials) -> None:
        """Revoke the token where the network allows it; errors are swallowed by callers."""
        ...


# What a person can be asked to do with someone else's post (an engagement task).
LIKE, BOOST, REPLY = "like", "boost", "reply"


class Engager(Protocol):
    """A client that likes, boosts or replies to an existing post for a connected person."""

    network: str

    def engage(
        self, credentials: Credentials, post_url: str, action: str, text: str = ""
    ) -> Published:
        """Do `action` (LIKE, BOOST or REPLY with `text`) on the post at `post_url`, as
        the network shows it in a browser; return what was created (the like, the boost,
        the reply). Raises PermanentError("post_not_found") when the address names no post
        the network can find, and the client's other errors as when publishing."""
        ...


class MetricsClient(Protocol):
    """A client that can read a post's counts back (Mastodon, Bluesky, LinkedIn, X)."""

    network: str

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        """Return the counts of each post still visible, keyed by its `remote_id`.

        A post that is gone (deleted, hidden) is left out rather than failing the batch.
        Raises RetryableError (429, 5xx; `retry_after` when the network said),
        ReconnectError (the token no longer works), MetricsUnavailable (no counts for this
        connection) or PermanentError. `credentials` may be updated like in `publish`.
        """
        ...


# --- Waiting after a retryable error -------------------------------------------------------


def backoff(
    failures: int, retry_after: float | None, *, base: timedelta, cap: timedelta
) -> timedelta:
    """Return how long to wait after `failures` retryable errors in a row.

    `base` doubled each time up to `cap`, with jitter (half to all of it, so that workers
    that failed together do not come back together), and never less than the network asked
    (`retry_after`, in seconds).
    """
    delay = min(cap, base * 2 ** max(0, failures - 1))
    delay = delay * (0.5 + random.random() / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def retry_after(headers: Mapping[str, str], *, reset: str = "") -> float | None:
    """Return the seconds a network asks to wait, from its answer's headers, or None.

    `reset` names the network's own rate-limit reset header (X: `x-rate-limit-reset`,
    Bluesky: `ratelimit-reset`, Mastodon: `x-ratelimit-reset`), an epoch time or an
    ISO 8601 time; it wins over `Retry-After` (seconds or an HTTP date), which any server
    or proxy may send. Header names are lower case, as `safe_fetch` gives them.
    """
    now = datetime.now(UTC)
    value = headers.get(reset, "").strip() if reset else ""
    if value:
        if value.isdigit():
            return max(0.0, float(value) - now.timestamp())
        moment = _parse_iso(value)
        if moment is not None:
            return max(0.0, (moment - now).total_seconds())
    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - now).total_seconds())
    return None


def _parse_iso(value: str) -> datetime | None:
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
