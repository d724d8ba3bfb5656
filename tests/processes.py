"""Running Chorus as real processes in tests: `chorus` commands, gunicorn web processes on
127.0.0.1 and Huey workers, each stopped by the test that started it."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

from tests.servers import free_port as free_port
from tests.servers import wait_for as wait_for


def clean_environ(**values: str) -> dict[str, str]:
    """This process's environment without Chorus' own variables, plus `values`."""
    own = ("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY")
    environ = {key: value for key, value in os.environ.items() if not key.startswith(own)}
    environ.update(
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        CHORUS_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="chorus.settings",
    )
    environ.update(values)
    return environ


def chorus(args: list[str], environ: dict[str, str], timeout: float = 180) -> str:
    """Run a `chorus` command; its standard output (raises with its errors if it fails)."""
    result = subprocess.run(
        [sys.executable, "-m", "chorus", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode:
        raise AssertionError(f"chorus {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class Process:
    """A child process with its output in a temporary file (an unread pipe would stall it)."""

    def __init__(self, argv: list[str], environ: dict[str, str], name: str) -> None:
        self.name = name
        self.port = 0  # a web process's
        self.log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            argv, env=environ, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self.log.close()


def answers(port: int, path: str = "/healthz") -> bool:
    """True once the application answers (a 503 from /healthz for a silent worker counts:
    the web process itself is up)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status in (200, 503)
    except OSError:
        return False
    finally:
        connection.close()


def start_web(environ: dict[str, str], port: int, workers: int = 1) -> Process:
    """A gunicorn web process on 127.0.0.1:port, as `chorus serve` starts it; once it answers."""
    web = Process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "chorus.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "4",
        ],
        environ,
        f"web:{port}",
    )
    web.port = port
    try:
        wait_for(lambda: answers(port) or web.popen.poll() is not None, 60, f"web on {port}")
        if web.popen.poll() is not None:
            raise AssertionError(f"The web process stopped:\n{web.output()}")
    except BaseException:
        web.stop()
        raise
    return web


def start_worker(environ: dict[str, str], name: str = "worker", *args: str) -> Process:
    """A Huey worker (`chorus run_huey`, as `chorus serve` starts it)."""
    return Process([sys.executable, "-m", "chorus", "run_huey", *args], environ, name)


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
