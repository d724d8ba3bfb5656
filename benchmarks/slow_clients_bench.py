"""benchmarks/slow-clients: /healthz latency with and without slow-header connections.

Starts `chorus serve --no-worker` (the embedded profile's server, what `make run` starts) on a
scratch database, then times N sequential GET /healthz: first alone, then with S connections
that each send one more header line every E seconds and never finish (a slowloris). Prints
JSON: p50, p99, max and timeouts of each phase and the p99 ratio (slow / alone). A probe that
gets no answer within --timeout counts as --timeout seconds, and as a timeout.

--baseline-gunicorn also measures the former embedded server, gunicorn's gthread worker with
2 processes x 4 threads, in the same run, for comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).close()  # noqa: S310 - http only
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"nothing answered at {url}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def probe(url: str, count: int, timeout: float) -> dict[str, float]:
    times, timeouts = [], 0
    for _ in range(count):
        started = time.monotonic()
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
                response.read()
            times.append(time.monotonic() - started)
        except OSError:
            timeouts += 1
            times.append(max(timeout, time.monotonic() - started))
    return {
        "p50_ms": round(percentile(times, 0.5) * 1000, 1),
        "p99_ms": round(percentile(times, 0.99) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "timeouts": timeouts,
    }


class SlowClients:
    """Connections that send a request line, then one header line every `every` seconds."""

    def __init__(self, port: int, count: int, every: float) -> None:
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            self.sockets.append(sock)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.drip, args=(every,), daemon=True)
        self.thread.start()

    def drip(self, every: float) -> None:
        line = 0
        while not self.stop.wait(every):
            line += 1
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow-%d: 1\r\n" % line)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


def start(server: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    if server == "chorus serve":
        argv = [PYTHON, "-m", "chorus", "serve", "--no-worker", "--bind", f"127.0.0.1:{port}"]
    else:  # the former `chorus serve` web command
        argv = [
            PYTHON, "-m", "gunicorn", "chorus.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "2", "--threads", "4", "--graceful-timeout", "10",
        ]  # fmt: skip
    return subprocess.Popen(
        argv,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def measure(server: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, object]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/healthz"
    process = start(server, port, env)
    try:
        wait_for(url)
        probe(url, 20, args.timeout)  # warm-up
        alone = probe(url, args.probes, args.timeout)
        slow = SlowClients(port, args.slow, args.every)
        try:
            time.sleep(args.every)  # let every slow connection be accepted and dripping
            with_slow = probe(url, args.probes, args.timeout)
        finally:
            slow.close()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return {
        "server": server,
        "alone": alone,
        "with_slow_clients": with_slow,
        "p99_ratio": round(with_slow["p99_ms"] / max(alone["p99_ms"], 0.1), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slow", type=int, default=32, help="Slow-header connections.")
    parser.add_argument("--every", type=float, default=2.0, help="Seconds between header lines.")
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0, help="Seconds a probe waits.")
    parser.add_argument("--baseline-gunicorn", action="store_true")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="chorus-slow-clients-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        SECRET_KEY="benchmark-secret-key-0123456789-abcdefghijk",
        CHORUS_VAR_DIR=str(var),
        CHORUS_ENV_FILE=os.devnull,
        CHORUS_STATIC_MANIFEST="0",
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_LOG_LEVEL="WARNING",
    )
    try:
        subprocess.run([PYTHON, "-m", "chorus", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
        servers = ["chorus serve"] + (["gunicorn gthread 2x4"] if args.baseline_gunicorn else [])
        runs = [measure(server, env, args) for server in servers]
    finally:
        shutil.rmtree(var, ignore_errors=True)
    print(
        json.dumps(
            {
                "slow_connections": args.slow,
                "header_every_seconds": args.every,
                "probes": args.probes,
                "probe_timeout_seconds": args.timeout,
                "cores": os.cpu_count(),
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
