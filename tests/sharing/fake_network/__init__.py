"""A network of our own, for tests: one package and one registry entry is all it takes.

`FakeNetwork` keeps its posts in memory, like a network's server would, and shows counts
for them; `integration` is what the registry lists."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from chorus.integrations.base import (
    Account,
    Credentials,
    Metrics,
    Post,
    Published,
    ReconnectError,
)
from chorus.integrations.capabilities import Integration

KEY = "fakenet"


@dataclass
class FakeNetwork:
    """The network's server and its client at once: posts made, and their counts."""

    network: str = KEY
    posts: dict[str, Post] = field(default_factory=dict)
    likes: dict[str, int] = field(default_factory=dict)

    def verify(self, credentials: Credentials) -> Account:
        return Account(remote_id=str(credentials["user"]), handle=f"@{credentials['user']}")

    def publish(self, credentials: Credentials, post: Post) -> Published:
        if credentials.get("token") != "valid":
            raise ReconnectError("unauthorized", "The token is not valid.")
        remote_id = f"post-{len(self.posts) + 1}"
        self.posts[remote_id] = post
        return Published(remote_id, f"https://fakenet.example/{remote_id}")

    def find_published(self, credentials: Credentials, post: Post) -> Published | None:
        return None

    def revoke(self, credentials: Credentials) -> None:
        return None

    def fetch_metrics(self, credentials: Credentials, remote_ids: list[str]) -> dict[str, Metrics]:
        return {
            remote_id: Metrics(reactions=self.likes.get(remote_id, 0), comments=1)
            for remote_id in remote_ids
            if remote_id in self.posts
        }


def intent(text: str, url: str, credentials: Credentials) -> str:
    return "https://fakenet.example/share?" + urlencode({"text": text})


server = FakeNetwork()

integration = Integration(
    key=KEY,
    label="Fakenet",
    intent=intent,
    client=server,
    metrics=server,
    length_rule="mastodon",
    link_network="mastodon",
)
