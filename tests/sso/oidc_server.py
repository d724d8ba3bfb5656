"""A real OpenID Provider on 127.0.0.1 for the single sign-on tests.

`tests/oidc/server.mjs` runs the certified `oidc-provider` package with the clients and
accounts a test gives it, and prints one JSON line when ready. It exits when its stdin
closes, so it stops with the test run even if pytest dies. `make test` installs its
packages (`tests/oidc/node_modules`).
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

import pytest
import requests

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
    if not (OIDC_DIRECTORY / "node_modules" / "oidc-provider" / "package.json").exists():
        pytest.fail(
            f"The local OpenID Provider is not installed (oidc-provider missing in "
            f"{OIDC_DIRECTORY / 'node_modules'}): run `make test`, which installs it.",
            pytrace=False,
        )
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to run the local OpenID Provider: install node 20.")
    config = {
        "clients": [
            {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": uris}
        ],
        "accounts": ACCOUNTS,
    }
    log_path = workdir / "oidc.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [node, str(OIDC_DIRECTORY / "server.mjs")],
            cwd=OIDC_DIRECTORY,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)},
        )
        try:
            assert process.stdout is not None
            ready = _ready_line(process, process.stdout, log_path)
            yield LocalProvider(issuer=ready["issuer"])
        finally:
            _stop(process)


def _ready_line(process: subprocess.Popen[bytes], stdout: IO[bytes], log_path: Path) -> Any:
    lines: queue.Queue[bytes] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line)
        lines.put(b"")

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + START_TIMEOUT
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            break
        if not line:
            process.wait(timeout=STOP_TIMEOUT)
            raise RuntimeError(f"The OpenID Provider exited: {log_path.read_text()}")
        with contextlib.suppress(ValueError):
            ready = json.loads(line)
            if isinstance(ready, dict) and "issuer" in ready:
                return ready
    raise RuntimeError(f"The OpenID Provider was not ready: {log_path.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


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
