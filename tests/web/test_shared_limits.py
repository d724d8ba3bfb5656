"""Login rate limits hold across web processes and restarts in the embedded profile.

"5 failures per 5 minutes per account" (allauth, through Django's cache) allowed 10 with two
processes when each kept its own cache in memory, and a restart forgot them. Two real web
processes on one SQLite database share the count; a third, started after both stopped,
still refuses.
"""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.processes import Process, chorus, clean_environ, free_port, start_web

# The SQLite pass runs it; it does not use the suite's database (see the Makefile).
pytestmark = pytest.mark.embedded

TOO_MANY = "Too many failed login attempts"
CREATE_USER = (
    "from django.contrib.auth import get_user_model; "
    "get_user_model().objects.create_user('ada@example.com', 'the-right-password-42')"
)


def log_in(port: int, password: str, host: str = "") -> tuple[str, str]:
    """Post the login form to the web process on `port`; (final URL, page). `host`: the Host
    header sent (by default the address with its port, as a client connecting directly)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    base = f"http://127.0.0.1:{port}"
    headers = {"Host": host} if host else {}
    page = (
        opener.open(urllib.request.Request(f"{base}/accounts/login/", headers=headers), timeout=10)
        .read()
        .decode()
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page[:500]
    body = urllib.parse.urlencode(
        {"login": "ada@example.com", "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    response = opener.open(
        urllib.request.Request(f"{base}/accounts/login/", body, headers=headers), timeout=10
    )
    return response.geturl(), response.read().decode()


def test_failed_logins_are_counted_across_processes_and_restarts(tmp_path: Path) -> None:
    environ = clean_environ(
        SECRET_KEY="limits-test-secret-key-0123456789-abcdefghij",
        CHORUS_VAR_DIR=str(tmp_path),
        CHORUS_LOGIN_FAILED_RATE_LIMIT="100/m/ip,5/5m/key",
    )
    chorus(["migrate", "--no-input", "-v0"], environ)
    chorus(["shell", "-c", CREATE_USER], environ)
    webs: list[Process] = []
    try:
        web_a, web_b = (start_web(environ, free_port()) for _ in range(2))
        webs += [web_a, web_b]
        ports = [web.port for web in webs]
        # The form works: the right password gets in (and a success does not count).
        url, page = log_in(ports[0], "the-right-password-42")
        assert not url.endswith("/accounts/login/"), page[:500]
        # Three failures through A and two through B: five for the account, not 3 and 2
        # (each process reached on its own port, and once with a made-up port in the Host).
        attempts = [(ports[0], ""), (ports[1], ""), (ports[0], "127.0.0.1:1"), (ports[1], "")]
        for port, host in [*attempts, (ports[0], "")]:
            url, page = log_in(port, "wrong-password", host)
            assert url.endswith("/accounts/login/") and TOO_MANY not in page
        # The sixth attempt, through B, is refused even with the right password.
        url, page = log_in(ports[1], "the-right-password-42")
        assert TOO_MANY in page, "B did not count A's failures"
        url, page = log_in(ports[0], "the-right-password-42")
        assert TOO_MANY in page
        for web in webs:
            web.stop()
        # A restart does not forget them.
        webs.append(start_web(environ, free_port()))
        url, page = log_in(webs[-1].port, "the-right-password-42")
        assert TOO_MANY in page, "the restarted process forgot the failures"
    finally:
        for web in webs:
            web.stop()
