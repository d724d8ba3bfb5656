"""`chorus serve` starts the web server and the Huey worker together, and Ctrl-C stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chorus(args: list[str], environ: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "chorus", *args],
        env=environ,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_serve_runs_web_and_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    environ.update(
        SECRET_KEY="serve-test-secret-key-0123456789-abcdefghij",
        CHORUS_VAR_DIR=str(tmp_path),
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_ENV_FILE=os.devnull,
    )
    chorus(["migrate", "--no-input", "-v0"], environ)
    # An expired session for the worker's housekeeping task to delete.
    chorus(
        [
            "shell",
            "-c",
            "from django.contrib.sessions.backends.db import SessionStore; "
            "from datetime import timedelta; s = SessionStore(); s.set_expiry(-60); s.create(); "
            "from chorus.web.tasks import clear_expired_sessions; clear_expired_sessions()",
        ],
        environ,
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chorus",
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--web-workers",
            "1",
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = b""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    body = response.read()
                    break
            except OSError:
                time.sleep(0.3)
        assert b'"status": "ok"' in body
        # The worker picked up the task queued before it started.
        count = ""
        while time.monotonic() < deadline:
            count = (
                chorus(
                    [
                        "shell",
                        "-c",
                        "from django.contrib.sessions.models import Session; "
                        "print(Session.objects.count())",
                    ],
                    environ,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            if count == "0":
                break
            time.sleep(0.5)
        assert count == "0", "the Huey worker did not run the queued task"
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Chorus stopped." in output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
