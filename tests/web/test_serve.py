"""`chorus serve`: web processes and the Huey worker together, supervised; Ctrl-C stops both.

Also the worker's heartbeat on /healthz, the body limits (chorus.web.limits) and slow clients
against the real server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.test import SimpleTestCase, override_settings

from chorus.lib import locks
from chorus.lib.locks import MemoryLeaseStore
from chorus.web.limits import limit_for_path
from chorus.web.tasks import HEARTBEAT, worker_heartbeat
from tests.servers import free_port, wait_for


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

        def healthz() -> bytes:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/healthz", timeout=2
                ) as response:
                    return bytes(response.read())
            except OSError:
                return b""

        assert b'"status": "ok"' in wait_for(healthz, 60, "the served instance to answer")

        # The worker picked up the task queued before it started.
        def sessions_left() -> str:
            return str(
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

        wait_for(lambda: sessions_left() == "0", 60, "the Huey worker to run the queued task")
    finally:
        os.killpg(server.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Chorus stopped." in output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)


# --- A served instance shared by the tests below ---------------------------------------------


def clean_environ(var: Path) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"))
    }
    environ.update(
        SECRET_KEY="serve-test-secret-key-0123456789-abcdefghij",
        CHORUS_VAR_DIR=str(var),
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_ENV_FILE=os.devnull,
        TMPDIR=str(var / "tmp"),  # where Django or the server would spill a body to disk
    )
    (var / "tmp").mkdir(parents=True, exist_ok=True)
    return environ


def get_json(url: str, timeout: float = 3) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def children_of(pid: int) -> dict[int, str]:
    """PID → command line of the processes whose parent is `pid` (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
            found[int(entry.name)] = command
    return found


@dataclass
class Served:
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    var: Path

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def worker_pid(self) -> int | None:
        workers = [pid for pid, cmd in children_of(self.process.pid).items() if "run_huey" in cmd]
        return workers[0] if len(workers) == 1 else None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    var = tmp_path_factory.mktemp("served")
    environ = clean_environ(var)
    chorus(["migrate", "--no-input", "-v0"], environ)
    port = free_port()
    log = var / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "chorus", "serve", "--bind", f"127.0.0.1:{port}"],
            env=environ,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    instance = Served(port, process, log, var)
    try:
        wait_for(
            lambda: (
                get_json(instance.url("/healthz"))[1].get("worker", {}).get("state") == "ok"  # type: ignore[union-attr]
                if _answers(instance.url("/healthz"))
                else False
            ),
            60,
            "the site and the worker's first heartbeat",
        )
        yield instance
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def test_the_site_stays_up_when_the_worker_is_killed_and_the_worker_comes_back(
    served: Served,
) -> None:
    old = served.worker_pid()
    assert old is not None
    killed_at = time.monotonic()
    os.kill(old, signal.SIGKILL)
    failures: list[str] = []
    probes = 0

    def worker_back() -> bool:
        nonlocal probes
        # /healthz answers throughout, and the new worker's start-up heartbeat shows on it.
        status, body = get_json(served.url("/healthz"))
        probes += 1
        if status != 200:
            failures.append(f"{status} {body}")
        new = served.worker_pid()
        since_kill = time.monotonic() - killed_at
        worker = body.get("worker") or {}
        return bool(
            new is not None
            and new != old
            and float(worker.get("seconds_since_heartbeat", 1e9)) < since_kill  # type: ignore[union-attr]
        )

    wait_for(worker_back, 15, "the worker to be started again and to beat")
    assert failures == []
    assert probes >= 2
    assert "The worker process stopped (exit -9); starting it again in 1 s." in served.output()


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send a request head (and a few bytes of body), return what the server answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer:
                break
        return answer


LOGIN_HEAD = (
    "POST /accounts/login/ HTTP/1.1\n"
    "Host: 127.0.0.1\n"
    "Cookie: csrftoken=abcdefghijklmnopqrstuvwxyz012345\n"
    "Content-Type: multipart/form-data; boundary=xyz\n"
)


@pytest.mark.parametrize("declared", [300 * 1024 * 1024, 5 * 1024 * 1024])
def test_a_large_body_is_refused_from_its_declared_length_without_being_read(
    served: Served, declared: int
) -> None:
    # The probe's case: a 300 MB multipart POST to the login page with the CSRF cookie. Only
    # a few bytes are sent: a server that waited for the rest would time out here.
    started = time.monotonic()
    answer = raw_request(
        served.port,
        LOGIN_HEAD + f"Content-Length: {declared}\n",
        b'--xyz\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\nAAAA',
    )
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert time.monotonic() - started < 5
    assert list((served.var / "tmp").iterdir()) == []
    assert "Traceback" not in served.output()


def test_a_chunked_body_is_counted_while_read_and_refused_past_the_limit(served: Served) -> None:
    limit = 1024 * 1024  # the login page's (CHORUS_MAX_BODY_BYTES)
    chunk = b"A" * 65536
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall((LOGIN_HEAD + "Transfer-Encoding: chunked\n").replace("\n", "\r\n").encode())
        sock.sendall(b"\r\n")
        sent = 0
        answer = b""
        try:
            # Far more than the limit is offered; the server must answer before the end.
            while sent < 20 * limit:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
                sock.setblocking(False)
                try:
                    answer = sock.recv(65536)
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
                if answer:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        if not answer:
            sock.settimeout(5)
            answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    # Answered before the end of the body (what was sent past the limit sat in socket buffers).
    assert sent < 20 * limit
    assert "Traceback" not in served.output()


def test_expected_refusals_print_no_traceback(served: Served) -> None:
    # A form post without its CSRF token (403) and a file that does not exist (404).
    answer = raw_request(
        served.port,
        LOGIN_HEAD.replace("multipart/form-data; boundary=xyz", "application/x-www-form-urlencoded")
        + "Content-Length: 5\n",
        b"a=b&c",
    )
    assert answer.startswith(b"HTTP/1.1 403 "), answer[:200]
    answer = raw_request(served.port, "GET /media/no-such-file.png HTTP/1.1\nHost: 127.0.0.1\n")
    assert answer.startswith(b"HTTP/1.1 404 "), answer[:200]
    assert "Traceback" not in served.output()


def slow_clients(port: int, count: int, every: float, stop: threading.Event) -> threading.Thread:
    """`count` connections that each send one more header line every `every` seconds."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(sock)

    def drip() -> None:
        try:
            line = 0
            while not stop.wait(every):
                line += 1
                for sock in sockets:
                    with contextlib.suppress(OSError):
                        sock.sendall(b"X-Slow-%d: 1\r\n" % line)
        finally:
            for sock in sockets:
                sock.close()

    thread = threading.Thread(target=drip, daemon=True)
    thread.start()
    return thread


def test_healthz_answers_while_32_slow_clients_hold_connections(served: Served) -> None:
    stop = threading.Event()
    dripping = slow_clients(served.port, 32, 2.0, stop)
    try:
        # More probes than the server has threads (2 x 4), spread over several drips.
        deadline = time.monotonic() + 8
        answered = 0
        while time.monotonic() < deadline or answered < 10:
            started = time.monotonic()
            status, _ = get_json(served.url("/healthz"), timeout=3)
            assert status == 200
            assert time.monotonic() - started < 3
            answered += 1
    finally:
        stop.set()
        dripping.join(timeout=10)


# --- The worker's heartbeat on /healthz (time moved, no worker) -------------------------------


class HeartbeatTests(SimpleTestCase):
    databases = {"default"}

    def setUp(self) -> None:
        # A store of this test's own: the suite's shared one must not keep a stale beat.
        self.store = MemoryLeaseStore()
        patcher = mock.patch.object(locks, "lease_store", return_value=self.store)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_no_heartbeat_yet_is_not_an_error(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["worker"], {"state": "unknown", "last_heartbeat": None})

    @override_settings(CHORUS_WORKER_SILENT_AFTER=180)
    def test_a_worker_silent_past_the_limit_turns_healthz_into_a_503_naming_it(self) -> None:
        # The beat is moved into the past (moving the clock under the request itself would age
        # the database connection too).
        # Half the limit ago: a slow machine has 90 s before the request to keep it "ok".
        with time_machine.travel(time.time() - 90, tick=False):
            worker_heartbeat.call_local()
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["worker"]["state"], "ok")
        self.assertGreaterEqual(response.json()["worker"]["seconds_since_heartbeat"], 90)
        with time_machine.travel(time.time() - 200, tick=False):
            worker_heartbeat.call_local()
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
        body = response.json()
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["worker"]["state"], "silent")
        self.assertRegex(body["error"], r"^worker: no heartbeat for 20\d s \(limit 180 s\)$")
        self.assertEqual(body["tasks"][HEARTBEAT]["state"], "stuck")
        # The next beat makes it healthy again.
        worker_heartbeat.call_local()
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertLess(response.json()["worker"]["seconds_since_heartbeat"], 60)


# --- Body limits in the middleware (any server, the test client) ------------------------------


class BodyLimitTests(SimpleTestCase):
    databases = {"default"}

    def post(self, path: str, length: int, **extra: str):  # type: ignore[no-untyped-def]
        return self.client.generic(
            "POST",
            path,
            b"a=b",
            content_type="multipart/form-data; boundary=xyz",
            CONTENT_LENGTH=str(length),
            **extra,
        )

    def test_over_the_page_limit_is_413_before_csrf_reads_the_body(self) -> None:
        client = self.client_class(enforce_csrf_checks=True)
        with mock.patch("django.http.multipartparser.MultiPartParser.parse") as parse:
            response = client.generic(
                "POST",
                "/accounts/login/",
                b"--xyz",
                content_type="multipart/form-data; boundary=xyz",
                CONTENT_LENGTH=str(300 * 1024 * 1024),
            )
        self.assertEqual(response.status_code, 413)
        self.assertIn("1.0\xa0MB at most", response.content.decode())
        parse.assert_not_called()
        self.assertEqual(self.post("/accounts/login/", 1024 * 1024 + 1).status_code, 413)

    def test_pages_that_take_a_file_have_their_own_limits(self) -> None:
        self.assertEqual(limit_for_path("/accounts/login/"), 1024 * 1024)
        self.assertEqual(limit_for_path("/no/such/page/"), 1024 * 1024)
        self.assertEqual(limit_for_path("/o/acme/content/import/"), 3 * 1024 * 1024)
        self.assertEqual(limit_for_path("/o/acme/programme/"), 1536 * 1024)
        self.assertEqual(limit_for_path("/setup/"), 1536 * 1024)
        self.assertEqual(limit_for_path("/o/acme/content/new/"), 10 * 1024 * 1024)
        # 2.5 MB passes the middleware on the CSV import page (the view then answers: here the
        # organisation does not exist), not on the login page.
        self.assertNotEqual(self.post("/o/acme/content/import/", 2560 * 1024).status_code, 413)
        self.assertEqual(self.post("/accounts/login/", 2560 * 1024).status_code, 413)
        # Nothing is larger than the largest page's limit, whatever the path.
        self.assertEqual(self.post("/o/acme/content/new/", 10 * 1024 * 1024 + 1).status_code, 413)

    def test_the_api_gets_its_error_shape_and_odd_lengths_a_clear_error(self) -> None:
        response = self.post("/api/v1/links", 2 * 1024 * 1024)
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn("__all__", response.json()["errors"])
        response = self.client.generic("POST", "/accounts/login/", b"", CONTENT_LENGTH="12x")
        self.assertEqual(response.status_code, 400)
        response = self.client.generic(
            "POST", "/accounts/login/", b"", CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked"
        )
        self.assertEqual(response.status_code, 411)
