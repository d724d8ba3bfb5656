"""Fixtures shared across the suite's folders (each folder's conftest.py adds its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from pytest_django.fixtures import Settings

from tests.sharing.mastodon_server import MockMastodon, running_mock
from tests.sharing.pds_server import LocalPds, running_pds


@pytest.fixture(autouse=True)
def default_language() -> Iterator[None]:
    """Each test starts in the default language: Django's test client leaves the language of
    its last request active in the thread, and code called outside a request would use it."""
    yield
    translation.deactivate()


@pytest.fixture
def loopback_allowed(settings: Settings) -> None:
    """Let the SSRF guard reach servers the test started on 127.0.0.1 (it refuses them
    outside tests)."""
    settings.CHORUS_ALLOW_PRIVATE_URLS = True


@pytest.fixture(scope="module")
def mastodon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockMastodon]:
    """One mastodon-mock per test module (a module may revoke the seeded token); its tests
    tell their statuses apart by unique text."""
    with running_mock(tmp_path_factory.mktemp("mastodon_mock")) as server:
        yield server


@pytest.fixture(scope="module")
def pds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPds]:
    """One Bluesky PDS per test module, as each module had before; each test makes its own
    accounts."""
    with running_pds(tmp_path_factory.mktemp("pds")) as server:
        yield server
