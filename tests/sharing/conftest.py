"""The networks' contract stand-ins (tests/sharing/standins.py) as fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from tests.sharing.standins import LinkedInMember, LinkedInStandIn, XStandIn, XUser


@pytest.fixture
def x_standin(settings: Settings) -> Iterator[XStandIn]:
    with XStandIn() as server:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        settings.CHORUS_ALLOW_PRIVATE_URLS = True
        yield server


@pytest.fixture
def ada(x_standin: XStandIn) -> XUser:
    """An account on the X stand-in."""
    return x_standin.add_user("ada", "Ada Lovelace")


@pytest.fixture
def linkedin_standin(settings: Settings) -> Iterator[LinkedInStandIn]:
    with LinkedInStandIn() as server:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        settings.CHORUS_ALLOW_PRIVATE_URLS = True
        settings.CHORUS_LINKEDIN_VERSION = "202607"
        yield server


@pytest.fixture
def linkedin_ada(linkedin_standin: LinkedInStandIn) -> LinkedInMember:
    """A member on the LinkedIn stand-in."""
    return linkedin_standin.add_member("Ada Lovelace", email="ada@example.com")
