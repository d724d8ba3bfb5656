"""What an integration declares: the `Integration` each network package exports, and the
pieces of a connect flow.

A network's package (`chorus/integrations/<key>/__init__.py`) builds one `Integration`
and names it `integration`; `registry` lists the packages. Everything the rest of Chorus
does differently per network is read from these fields, so no code outside the package
branches on a network's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from chorus.integrations.base import Account, Client, Credentials, Engager, MetricsClient

# What publishing does when an earlier attempt's outcome is unknown (see sharing.publishing):
# "resend": the network deduplicates by idempotency key, so sending again is the check;
# "look": ask the network (`find_published`) and post again only if it is not there;
# "ask": the network cannot tell, so the person looks at their profile and says.
Reconcile = Literal["resend", "look", "ask"]


def _always() -> bool:
    return True


def _open_the_post(post_url: str, action: str, text: str) -> str:
    return post_url


@dataclass(frozen=True)
class MediaLimits:
    """What a network takes as images attached to a post, as its documentation says.

    Publishing checks the count and the alt texts before sending (a clear refusal in the
    composer), then fits each image (`lib.images.fit`: format, bytes, longest side).
    """

    max_images: int
    max_bytes: int  # per image, as uploaded
    max_side: int  # pixels on the longest side Chorus sends (larger ones are scaled down)
    formats: frozenset[str]  # Pillow's names: JPEG, PNG, WEBP, GIF
    max_alt: int  # characters of alt text
    # Where the network documents these figures.
    source: str = ""


@dataclass(frozen=True)
class Integration:
    """One network (or channel) and what Chorus can do with it."""

    key: str  # the code stored on shares and connections, and used in URLs and the API
    label: str | Promise
    # The network's own share page, opened on the person's device: (text, url, the
    # person's connection credentials or {}) -> address. Every channel has one.
    intent: Callable[[str, str, Credentials], str]
    # The share page takes only the link: the person's text goes to the clipboard.
    url_only: bool = False
    # Publishes through the network's API for a connected person; None: share intents only.
    client: Client | None = None
    reconcile: Reconcile = "look"
    # Reads posts' counts back, when `measures()` says so on this server.
    metrics: MetricsClient | None = None
    measures: Callable[[], bool] = _always
    # How a person connects an account on the "My networks" page; None: nothing to connect.
    connect: ConnectFlow | None = None
    # Tokens that expire without refreshing themselves: warn the person a week before.
    warn_before_expiry: bool = False
    # The network whose counting rule (`lib.text_metrics`) measures a caption's length.
    length_rule: str = "facebook"
    # The network a tracked link made for this channel counts under (`lib.networks`).
    link_network: str = "facebook"
    # Images the client uploads natively with a post; None: links only.
    media: MediaLimits | None = None
    # Engagement tasks: what Chorus does through the API for a connected person (`LIKE`,
    # `BOOST`, `REPLY` of `base`), and otherwise the page the person opens to do it
    # themselves, then marks done: (post URL, action, reply text) -> address.
    engager: Engager | None = None
    engages: frozenset[str] = frozenset()
    engage_intent: Callable[[str, str, str], str] = _open_the_post

    @property
    def publishes(self) -> bool:
        """Whether Chorus can publish for a connected person (else: share intents only)."""
        return self.client is not None

    @property
    def intent_only(self) -> bool:
        return self.client is None

    @property
    def posts_images(self) -> bool:
        """Whether Chorus uploads images with a post on this network."""
        return self.client is not None and self.media is not None

    def measured(self) -> bool:
        """Whether Chorus reads posts' counts back from this network on this server."""
        return self.metrics is not None and self.measures()


# --- Connect flows --------------------------------------------------------------------------


@dataclass(frozen=True)
class Connected:
    """The account is connected at once (an app password): save these credentials."""

    account: Account
    credentials: Credentials


@dataclass(frozen=True)
class Consent:
    """Send the person to the network's consent page (`target`); `pending` waits in their
    session, under the OAuth `state`, until the network sends them back with a code."""

    target: str
    pending: dict[str, str]


class ServerApps(Protocol):
    """Chorus's OAuth applications on servers people name (Mastodon): one per server,
    registered on first use and kept (encrypted) by the caller."""

    def get(self, server: str) -> dict[str, str] | None: ...

    def save(self, server: str, secrets: dict[str, str]) -> None: ...


class ConnectFlow:
    """How a person connects an account; a network's package subclasses it.

    The "My networks" page shows one panel a flow (in `order`), with `form_class` when the
    flow asks something (an app password, a server). Posting it calls `start`, which
    either connects at once (`Connected`) or sends the person to the network (`Consent`);
    then, when `sends_back`, the network's callback calls `finish` with the code. Both
    raise `base.PublishError` when the network refuses.
    """

    order = 100
    form_class: type[forms.Form] | None = None
    sends_back = False
    # A refusal is shown on the page under the form (else as a message on the page).
    refusal_on_form = False

    def enabled(self) -> bool:
        """Whether this server offers the flow (e.g. an OAuth client id is configured)."""
        return True

    def invalid(self) -> str | None:
        """The message for a form that does not validate; None shows the form's errors."""
        return None

    def refused(self, reason: str) -> str:
        """What the person is told when the network refuses on the way back (`finish`)."""
        return _("The network refused the connection: %(reason)s") % {"reason": reason}

    def refused_at_start(self, reason: str) -> str:
        """What the person is told when the network refuses in `start`."""
        return self.refused(reason)

    def start(
        self, data: dict[str, Any], redirect_uri: str, state: str, apps: ServerApps
    ) -> Connected | Consent:
        raise NotImplementedError

    def finish(
        self, pending: dict[str, str], code: str, redirect_uri: str, apps: ServerApps
    ) -> Connected:
        raise NotImplementedError


# --- Chat tools -----------------------------------------------------------------------------
#
# A chat tool (Slack, Microsoft Teams) is not a network people share to: it is where they
# already work, so Chorus announces content there and sends a person's digest there. A
# tool's package builds one `ChatTool` named `chat_tool`; `registry` lists them apart from
# the networks. The chat app (`chorus/chat`) stores workspaces, channels and preferences,
# and asks these fields what to do; it never branches on a tool's name.


@dataclass(frozen=True)
class Announcement:
    """New content or a new campaign, as a channel shows it; frozen in the outbox when queued
    so a retry sends the same message."""

    kind: Literal["content", "campaign"]
    title: str
    summary: str
    url: str  # what the message links to (the article, the campaign's call to action)
    open_url: str  # the page in Chorus (the library item, the feed)
    # What the "Share" button carries back when clicked ("content:<id>"); "" for no button.
    share_value: str
    language: str
    org_name: str


@dataclass(frozen=True)
class DigestItem:
    title: str
    url: str  # the composer for this item, in Chorus


@dataclass(frozen=True)
class Digest:
    """A person's digest as a chat message: a few suggestions and their results."""

    heading: str
    lines: list[str]  # the person's results, one sentence each
    items: list[DigestItem]
    feed_url: str
    feed_label: str


@dataclass(frozen=True)
class Click:
    """Someone clicked the "Share" button of an announcement in a chat tool."""

    workspace: str  # the tool's id of the workspace (Slack's team id)
    user: str  # the tool's id of the person who clicked
    channel: str  # where they clicked
    value: str  # the announcement's `share_value`
    click_id: str  # unique per click: a retried delivery of the same click is one click


@dataclass(frozen=True)
class PrivateReply:
    """An answer only the person who clicked sees; `link` is a button when set."""

    text: str
    link_url: str = ""
    link_label: str = ""


@dataclass(frozen=True)
class Workspace:
    """A workspace connected by its admin (OAuth): its id, name and the bot's credentials."""

    id: str
    name: str
    credentials: Credentials


@dataclass(frozen=True)
class ChatTool:
    """One chat tool and what Chorus can do with it.

    Every sending callable raises `base.RetryableError` when trying again may help,
    `base.PermanentError` (or `ReconnectError`) when it cannot; the chat app retries.
    """

    key: str
    label: str | Promise
    # Post an announcement: (workspace credentials or {}, channel target, announcement)
    # -> the message's id at the tool ("" when the tool gives none).
    # `key` names the announcement: a tool that can store it with the message finds it again.
    announce: Callable[[Credentials, dict[str, Any], Announcement, str], str]
    # Send a person's digest: (workspace credentials or {}, the person's target, e-mail,
    # digest) -> message id. None: the tool cannot carry digests.
    direct_digest: Callable[[Credentials, dict[str, Any], str, Digest], str] | None = None
    # Workspaces: an admin connects one with OAuth (None: channels are added by URL).
    connect: ChatConnect | None = None
    # Channels added by URL (an incoming webhook / Workflows URL, a secret): the form field
    # that takes it, and the check it must pass (raises ValueError with the reason).
    channel_url_check: Callable[[str], str] | None = None
    # A person's own digest target is a URL (their own Workflows URL), checked the same way;
    # False: the digest goes to the person's account in the connected workspace.
    personal_url: bool = False
    # Interactive requests (a button clicked): `verify(body, headers)` says whether the
    # tool signed them, `click(body)` reads the click (None: not a share click), `email`
    # finds the clicker's e-mail, `reply` answers them privately.
    interactions: ChatInteractions | None = None
    # Before sending again after a failed attempt (its outcome may be unknown): (workspace
    # credentials, channel target, key, since) -> the id of the message already posted with
    # this key, or "". None: the tool cannot tell, and the message is sent again.
    find_announcement: Callable[[Credentials, dict[str, Any], str, datetime], str] | None = None

    @property
    def connects(self) -> bool:
        return self.connect is not None and self.connect.enabled()


class ChatConnect(Protocol):
    """How an organisation admin connects a workspace (OAuth v2) and lists its channels."""

    def enabled(self) -> bool: ...

    def authorize_url(self, redirect_uri: str, state: str) -> str: ...

    def finish(self, code: str, redirect_uri: str) -> Workspace: ...

    def channels(self, credentials: Credentials) -> list[tuple[str, str]]: ...


class ChatInteractions(Protocol):
    def verify(self, body: bytes, headers: dict[str, str]) -> bool: ...

    def click(self, body: bytes) -> Click | None: ...

    def email(self, credentials: Credentials, user: str) -> str: ...

    def reply(
        self, credentials: Credentials, channel: str, user: str, reply: PrivateReply
    ) -> None: ...
