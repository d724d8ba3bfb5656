from __future__ import annotations

import pytest

from tests.sharing.mastodon_server import MockMastodon, mastodon_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _mastodon(request: pytest.FixtureRequest, mastodon: MockMastodon) -> None:
    """Tests of this package publish to the local Mastodon mock (one per session)."""
    if request.instance is not None:
        request.instance.mastodon = mastodon
