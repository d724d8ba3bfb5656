"""A real Bluesky PDS on 127.0.0.1 for the client's tests.

`tests/pds/server.mjs` runs the reference PDS (`@atproto/pds`) with an in-memory PLC
directory (`@did-plc/server`), both on loopback, and prints one JSON line when ready. It
exits when its stdin closes, so it stops with the test run even if pytest dies. `make test`
installs its packages (`tests/pds/node_modules`).

Accounts are real: `createAccount` with a `.test` handle, then `createAppPassword`, which
is what a person pastes into Chorus.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.servers import node_server

PDS_DIRECTORY = Path(__file__).resolve().parents[1] / "pds"
START_TIMEOUT = 60  # seconds; the machine is shared, a cold start can be slow
STOP_TIMEOUT = 10


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class BlueskyAccount:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass(frozen=True)
class LocalPds:
    """The running PDS, seen from the test's side (not through the client under test)."""

    url: str
    plc_url: str
    admin_password: str
    jwt_secret: str

    def xrpc(
        self,
        method: str,
        nsid: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> HttpAnswer:
        """One XRPC call straight to the PDS."""
        parts = urlsplit(self.url)
        path = f"/xrpc/{nsid}" + (f"?{urlencode(params)}" if params else "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            payload = json.dumps(body).encode()
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=15)
        try:
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            return HttpAnswer(
                response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
            )
        finally:
            connection.close()

    def create_account(self, name: str = "amy") -> BlueskyAccount:
        """A new account with a unique `.test` handle and an app password for Chorus."""
        # The first label of a handle on this PDS must be 3 to 18 characters long.
        handle = f"{name[:8]}{uuid.uuid4().hex[:8]}.test"
        password = uuid.uuid4().hex
        created = self.xrpc(
            "POST",
            "com.atproto.server.createAccount",
            body={"handle": handle, "email": f"{handle}@example.com", "password": password},
        )
        assert created.status == 200, created.body
        session = created.json()
        app = self.xrpc(
            "POST",
            "com.atproto.server.createAppPassword",
            body={"name": "Chorus"},
            token=session["accessJwt"],
        )
        assert app.status == 200, app.body
        return BlueskyAccount(handle, session["did"], password, app.json()["password"])

    def credentials(self, account: BlueskyAccount) -> dict[str, Any]:
        """What Chorus stores when a person connects with their app password."""
        return {"pds": self.url, "identifier": account.handle, "app_password": account.app_password}

    def get_record(self, at_uri: str) -> dict[str, Any]:
        """The stored record behind an at:// URI, as the network's AppView would read it."""
        repo, collection, rkey = at_uri.removeprefix("at://").split("/")
        answer = self.xrpc(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": repo, "collection": collection, "rkey": rkey},
        )
        assert answer.status == 200, answer.body
        return dict(answer.json()["value"])

    def expired(self, access_jwt: str) -> str:
        """The same access token, re-signed as if it had expired a minute ago."""
        header, payload, _signature = access_jwt.split(".")
        claims = json.loads(_unb64(payload))
        now = int(time.time())
        claims.update(iat=now - 7200, exp=now - 60)
        signed = f"{header}.{_b64(json.dumps(claims).encode())}"
        signature = hmac.new(self.jwt_secret.encode(), signed.encode(), hashlib.sha256).digest()
        return f"{signed}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@contextlib.contextmanager
def running_pds(workdir: Path) -> Iterator[LocalPds]:
    """Run tests/pds/server.mjs until the block ends (closing its stdin stops it and removes
    its data)."""
    with node_server(
        PDS_DIRECTORY,
        packages=("@atproto/pds", "@did-plc/server"),
        what="local Bluesky PDS",
        ready_key="pds",
        workdir=workdir,
        start_timeout=START_TIMEOUT,
    ) as ready:
        yield LocalPds(
            url=ready["pds"],
            plc_url=ready["plc"],
            admin_password=ready["admin_password"],
            jwt_secret=ready["jwt_secret"],
        )
