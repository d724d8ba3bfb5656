"""A real OpenID Provider on 127.0.0.1 for the single sign-on tests.

`tests/oidc/server.mjs` runs the certified `oidc-provider` package with the clients and
accounts a test gives it, and prints one JSON line when ready. It exits when its stdin
closes, so it stops with the test run even if pytest dies. `make test` installs its
packages (`tests/oidc/node_modules`).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

from tests.servers import node_server

OIDC_DIRECTORY = Path(__file__).resolve().parents[1] / "oidc"
START_TIMEOUT = 30  # seconds; the machine is shared
STOP_TIMEOUT = 10
CLIENT_ID = "chorus"
CLIENT_SECRET = "chorus-test-secret-0123456789"

# The people the provider knows: `email_verified` and the domains vary on purpose.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "jane": {
        "email": "jane@acme.test",
        "email_verified": True,
        "given_name": "Jane",
        "family_name": "Doe",
        "department": ["Marketing", "Paris office"],
        "groups": ["chorus-managers", "everyone"],
    },
    "ben": {
        "email": "ben@acme.test",
        "email_verified": True,
        "given_name": "Ben",
        "department": "Sales",
        "groups": ["everyone"],
    },
    "unverified": {"email": "nick@acme.test", "email_verified": False},
    "foreigner": {"email": "gina@globex.test", "email_verified": True},
    "stranger": {"email": "sam@nowhere.test", "email_verified": True},
}


@dataclass(frozen=True)
class LocalProvider:
    issuer: str


def redirect_uris(base_urls: list[str], slugs: list[str]) -> list[str]:
    return [
        f"{base}/accounts/oidc/org-{slug}/login/callback/" for base in base_urls for slug in slugs
    ]


@contextlib.contextmanager
def running_provider(workdir: Path, uris: list[str]) -> Iterator[LocalProvider]:
    """Run tests/oidc/server.mjs, with one client allowed to return to `uris`."""
    config = {
        "clients": [
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": uris}
        ],
        "accounts": ACCOUNTS,
    }
    with node_server(
        OIDC_DIRECTORY,
        packages=("oidc-provider",),
        what="local OpenID Provider",
        ready_key="issuer",
        workdir=workdir,
        env={"OIDC_TEST_CONFIG": json.dumps(config)},
        start_timeout=START_TIMEOUT,
    ) as ready:
        yield LocalProvider(issuer=ready["issuer"])


def sign_in_at_provider(authorize_url: str, login: str) -> str:
    """Play the person at the provider: follow its pages, sign in as `login`, and return
    the address it sends the browser back to (our callback, with the code)."""
    with requests.Session() as browser:
        url = authorize_url
        for _step in range(10):
            answer = browser.get(url, allow_redirects=False, timeout=15)
            if answer.status_code in (302, 303) and "/interaction/" in answer.headers["location"]:
                url = urljoin(url, answer.headers["location"])
                continue
            if answer.status_code in (302, 303):
                return urljoin(url, answer.headers["location"])
            assert answer.status_code == 200, answer.text
            action = re.search(r'<form[^>]*action="([^"]+)"', answer.text)
            assert action, answer.text
            posted = browser.post(
                urljoin(url, action.group(1)),
                data={"prompt": "login", "login": login, "password": "any"},
                allow_redirects=False,
                timeout=15,
            )
            assert posted.status_code in (302, 303), posted.text
            url = urljoin(url, posted.headers["location"])
        raise AssertionError("The provider never sent the browser back.")
