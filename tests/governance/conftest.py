from __future__ import annotations

import pytest

from tests.sharing.mastodon_server import MockMastodon


@pytest.fixture
def _mastodon(request: pytest.FixtureRequest, mastodon: MockMastodon) -> None:
    """The module's Mastodon mock on the test case (`usefixtures("_mastodon")`)."""
    if request.instance is not None:
        request.instance.mastodon = mastodon
