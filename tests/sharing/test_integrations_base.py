"""The helpers every network shares: waiting after errors, and the registry's lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from chorus.integrations import registry
from chorus.integrations.base import backoff, retry_after

NOW = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_retry_after_reads_the_networks_reset_header_first_then_retry_after() -> None:
    epoch = str(int((NOW + timedelta(seconds=90)).timestamp()))
    assert (
        retry_after({"x-rate-limit-reset": epoch, "retry-after": "5"}, reset="x-rate-limit-reset")
        == 90
    )
    iso = (NOW + timedelta(minutes=2)).isoformat()
    assert retry_after({"x-ratelimit-reset": iso}, reset="x-ratelimit-reset") == 120
    assert retry_after({"retry-after": "30"}, reset="ratelimit-reset") == 30
    assert retry_after({"retry-after": "Wed, 05 Mar 2025 09:01:00 GMT"}) == 60
    # A reset in the past means now; nonsense means the caller's own backoff.
    assert retry_after({"ratelimit-reset": "1"}, reset="ratelimit-reset") == 0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None


def test_backoff_doubles_up_to_the_cap_and_never_undercuts_the_network() -> None:
    base, cap = timedelta(minutes=1), timedelta(minutes=10)
    for failures, nominal in ((1, 1), (2, 2), (3, 4), (4, 8), (9, 10)):
        delay = backoff(failures, None, base=base, cap=cap)
        assert timedelta(minutes=nominal) / 2 <= delay <= timedelta(minutes=nominal)
    assert backoff(1, 3600, base=base, cap=cap) == timedelta(hours=1)


def test_the_registry_lists_the_channels_in_their_stored_order() -> None:
    # Analytics stores a bit per channel by position: the order must not change.
    assert registry.keys()[:7] == [
        "linkedin",
        "x",
        "mastodon",
        "bluesky",
        "facebook",
        "whatsapp",
        "email",
    ]
    assert registry.publishing_networks() == ["linkedin", "x", "mastodon", "bluesky"]
    assert registry.callback_networks() == ["linkedin", "x", "mastodon"]
    with pytest.raises(ValueError):
        registry.register(registry.get("x"))
    with pytest.raises(LookupError):
        registry.get("myspace")
