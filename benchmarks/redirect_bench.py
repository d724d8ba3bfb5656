"""benchmarks/redirect: the tracked-link redirect and click ingestion, against a bare 302 app.

Each profile is served the way production serves it, and its baseline is a bare "return 302" WSGI
app on the same server with the same settings, measured in the same run:

- embedded: SQLite, the file journal, `chorus serve --no-worker` (waitress web processes sharing
  one listening socket, `--serve-workers` x `--serve-threads`, the command's defaults 2 x 4);
  the bare app on the same `chorus.web.server` processes (`--app`), access log included.
- scale-out: PostgreSQL (a scratch database created and dropped on `--postgres`), REDIS_URL
  (`--redis`: cache, login limits, task queue), the file journal, gunicorn as docs/deploy.md
  runs it (`--workers 4 --threads 4`); the bare app on the same gunicorn settings.
  `--journals file,redis` also measures the Redis journal.

For each number of links (`--sizes 1000,10000,100000`, one scratch database holding the largest
number), a server is started afresh (each process's cache of codes empty), `/healthz` waited for,
then warm-up rounds until one runs without an error, then `/l/<code>` loaded with codes drawn at
random among the N links. Then the journal is ingested in a separate process, timed inside it:
clicks per second, and a count check (every redirect the load generator received was ingested,
and not many more: requests cut off when the load stops may be served unseen). The worker is
not running during the load (`--no-worker`), so that ingestion is timed on its own.

The load comes from wrk (`benchmarks/redirect` installs it with apt-get when run as root), or
from a slower Python generator when wrk is missing (`--python-load` forces it). Prints JSON; a
line per measurement goes to stderr as it is made.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

SETUP = """
import os
from django.contrib.auth import get_user_model
from chorus.content.models import ContentItem
from chorus.links.models import TrackedLink
from chorus.orgs.actions import do_create_organization
from chorus.orgs.models import Membership
from chorus.program.models import Participation
count = int(os.environ["BENCH_LINKS"])
admin = get_user_model().objects.create_user("bench@example.com", "x" * 12)
org = do_create_organization("Bench", "bench", admin)
member = Membership.objects.get(org=org, user=admin)
Participation.objects.create(org=org, membership=member, status="active")
items = ContentItem.objects.bulk_create(
    (
        ContentItem(
            org=org, title=f"t{n}", url=f"https://www.example.com/a/{n}", status="published"
        )
        for n in range(count)
    ),
    batch_size=2000,
)
links = TrackedLink.objects.bulk_create(
    (
        TrackedLink(
            org=org,
            ambassador=member,
            item=item,
            network="linkedin",
            url=item.url,
            destination=item.url + "?utm_source=linkedin&utm_medium=employee_advocacy",
        )
        for item in items
    ),
    batch_size=2000,
)
with open(os.environ["BENCH_CODES"], "w") as handle:
    handle.write("\\n".join(link.code for link in links))
"""

# Timed inside the process, after the one-off start-up costs a long-running worker pays once
# (the crawler patterns' compilation, the database connection).
INGEST = """
import json, time
from chorus.links.bots import classify
from chorus.links.ingest import ingest
from chorus.links.models import Click
classify("warm-up"); Click.objects.exists()
start = time.perf_counter()
count = ingest()
print(json.dumps({"clicks": count, "seconds": time.perf_counter() - start}))
"""

# Codes are read from a file (a 100,000-entry table literal is too much for LuaJIT) and drawn
# at random, each wrk thread with its own seed.
LUA = """
local codes = {}
for line in io.lines("%(codes)s") do codes[#codes + 1] = line end
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end
function init(args)
  math.randomseed(os.time() * 100 + (seed or 0))
end
request = function()
  return wrk.format("GET", "/l/" .. codes[math.random(#codes)], {["User-Agent"] = "%(agent)s"})
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get_status(port: int, method: str, path: str) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path, headers={"User-Agent": BROWSER})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        connection.close()


def wait_until(
    process: subprocess.Popen[bytes],
    port: int,
    method: str,
    path: str,
    status: int,
    timeout: float = 120,
) -> None:
    """Until the application (not only the port) answers `status` to `method path`."""
    deadline = time.monotonic() + timeout
    while get_status(port, method, path) != status:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode})")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{method} {path} on port {port} never answered {status}")
        time.sleep(0.2)


def gunicorn(
    app: str, port: int, args: argparse.Namespace, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    # docs/deploy.md's web command: N gunicorn workers of 4 threads per host.
    with log.open("ab") as output:
        return subprocess.Popen(
            [
                *(PYTHON, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}"),
                *("--workers", str(args.workers), "--threads", str(args.gunicorn_threads)),
                *("--backlog", "2048", "--log-level", "warning"),
            ],
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


# The bare baseline on `chorus serve`'s own server: the same listening socket shared by the same
# web processes (chorus.web.server), serving another WSGI callable.
BARE_SERVE = """
import socket, subprocess, sys
host, _, port = sys.argv[1].rpartition(":")
listener = socket.create_server((host, int(port)), backlog=2048)  # as `chorus serve` listens
listener.set_inheritable(True)
fd = listener.fileno()
children = [
    subprocess.Popen(
        [sys.executable, "-m", "chorus.web.server", "--fd", str(fd), "--threads", sys.argv[3],
         "--app", "benchmarks.bare_app:app"],
        pass_fds=(fd,),
    )
    for _ in range(int(sys.argv[2]))
]
for child in children:
    child.wait()
"""


def chorus_serve(
    app: str | None, port: int, args: argparse.Namespace, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """`chorus serve --no-worker` as the embedded profile runs it, or the bare app on its server."""
    bind = f"127.0.0.1:{port}"
    workers, threads = str(args.serve_workers), str(args.serve_threads)
    if app is None:
        argv = [PYTHON, "-m", "chorus", "serve", "--no-worker", "--bind", bind]
        argv += ["--web-workers", workers, "--threads", threads]
    else:
        argv = [PYTHON, "-c", BARE_SERVE, bind, workers, threads]
    with log.open("ab") as output:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=ROOT,
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk_load(port: int, codes: Path, duration: float, args: argparse.Namespace) -> dict[str, Any]:
    script = codes.with_suffix(".lua")
    script.write_text(LUA % {"codes": codes, "agent": BROWSER})
    output = subprocess.run(
        [
            *("wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s"),
            *("--latency", "--timeout", "5s", "-s", str(script), f"http://127.0.0.1:{port}"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in latency:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": to_ms(latency["50"]),
        "p99_ms": to_ms(latency["99"]),
        "requests": requests,
        "bad_responses": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


def python_load(
    port: int, codes: Path, duration: float, args: argparse.Namespace
) -> dict[str, Any]:
    """The fallback load generator: keep-alive connections from threads (slower than wrk)."""
    paths = [f"/l/{code}" for code in codes.read_text().split()]
    latencies: list[float] = []
    counts = {"requests": 0, "bad_responses": 0, "socket_errors": 0}
    lock = threading.Lock()
    end = time.monotonic() + duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[float] = []
        done = bad = failed = 0
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        while time.monotonic() < end:
            start = time.perf_counter()
            try:
                connection.request("GET", rng.choice(paths), headers={"User-Agent": BROWSER})
                response = connection.getresponse()
                response.read()
            except OSError:
                failed += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                continue
            mine.append(time.perf_counter() - start)
            done += 1
            bad += response.status >= 400
        connection.close()
        with lock:
            latencies.extend(mine)
            counts["requests"] += done
            counts["bad_responses"] += bad
            counts["socket_errors"] += failed

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()

    def quantile(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 2)

    return {
        "requests_per_second": round(counts["requests"] / elapsed, 1),
        "p50_ms": quantile(0.5) if latencies else 0.0,
        "p99_ms": quantile(0.99) if latencies else 0.0,
        **counts,
    }


def measure(port: int, codes: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Warm up until a warm-up round is clean (five rounds at most), then measure."""
    load = python_load if args.python_load else wrk_load
    warmup_requests = 0
    for _ in range(5):
        warmup = load(port, codes, args.warmup, args)
        warmup_requests += warmup["requests"] - warmup["bad_responses"]
        if warmup["requests"] and not warmup["bad_responses"] and not warmup["socket_errors"]:
            break
    else:
        raise RuntimeError(f"port {port}: five warm-up rounds with errors: {warmup}")
    result = load(port, codes, args.duration, args)
    result["warmup_requests"] = warmup_requests
    return result


def chorus(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        [PYTHON, "-m", "chorus", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def profile_env(
    var: Path, database_url: str | None, redis_url: str, journal: str
) -> dict[str, str]:
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
        CHORUS_CLICK_JOURNAL=journal,
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def serve(
    kind: str, app: str | None, port: int, args: argparse.Namespace, env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    if kind == "embedded":
        return chorus_serve(app, port, args, env, log)
    return gunicorn(app or "chorus.wsgi:application", port, args, env, log)


def served_load(
    kind: str,
    app: str | None,
    env: dict[str, str],
    codes: Path,
    args: argparse.Namespace,
    log: Path,
) -> dict[str, Any]:
    """Start a server, wait until the application answers, warm up, measure, stop it."""
    port = free_port()
    process = serve(kind, app, port, args, env, log)
    try:
        if app is None:
            wait_until(process, port, "GET", "/healthz", 200)
            wait_until(
                process, port, "HEAD", f"/l/{codes.read_text().split()[0]}", 302
            )  # HEAD: no click
        else:
            wait_until(process, port, "HEAD", "/", 302)
        return measure(port, codes, args)
    except Exception:
        print(log.read_text()[-3000:], file=sys.stderr)
        raise
    finally:
        stop(process)


def run_size(
    name: str,
    kind: str,
    env: dict[str, str],
    codes: Path,
    size: int,
    bare: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    subset = codes.with_name(f"codes-{size}.txt")
    subset.write_text("\n".join(codes.read_text().split()[:size]))
    log = codes.with_name("server.log")
    result: dict[str, Any] = {"profile": name, "links": size}
    result["chorus"] = served_load(kind, None, env, subset, args, log)
    result["bare"] = bare
    figures = json.loads(chorus(["shell", "-c", INGEST], env).strip().splitlines()[-1])
    served = result["chorus"]["requests"] + result["chorus"]["warmup_requests"]
    served -= result["chorus"]["bad_responses"]
    # A request in flight when the load stops may be served without the client counting it:
    # at most one per connection and load round.
    slack = args.connections * 6
    result["ratio"] = round(
        result["chorus"]["requests_per_second"] / bare["requests_per_second"], 3
    )
    result["redirects_served"] = served
    result["clicks_ingested"] = figures["clicks"]
    result["every_served_click_ingested"] = served <= figures["clicks"] <= served + slack
    result["ingestion_seconds"] = round(figures["seconds"], 2)
    result["ingestion_clicks_per_second"] = round(figures["clicks"] / figures["seconds"], 1)
    result["ingestion_faster_than_redirect"] = (
        result["ingestion_clicks_per_second"] >= result["chorus"]["requests_per_second"]
    )
    result["targets_met"] = (
        result["ratio"] >= 0.7
        and result["chorus"]["p99_ms"] <= 25
        and result["every_served_click_ingested"]
        and result["ingestion_faster_than_redirect"]
    )
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def run_profile(
    kind: str, database_url: str | None, journals: list[str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    var = Path(tempfile.mkdtemp(prefix="chorus-redirect-"))
    (var / "static").mkdir()
    redis_url = args.redis if kind == "scale-out" else ""
    try:
        env = profile_env(var, database_url, redis_url, "file")
        started = time.monotonic()
        chorus(["migrate", "-v0"], env)
        codes = var / "codes.txt"
        chorus(
            ["shell", "-c", SETUP],
            {**env, "BENCH_LINKS": str(max(args.sizes)), "BENCH_CODES": str(codes)},
        )
        print(
            json.dumps({"profile": kind, "setup_seconds": round(time.monotonic() - started)}),
            file=sys.stderr,
            flush=True,
        )
        # The baseline, once per profile (it does not depend on the number of links).
        bare = served_load(kind, "benchmarks.bare_app:app", env, codes, args, var / "bare.log")
        print(json.dumps({"profile": kind, "bare": bare}), file=sys.stderr, flush=True)
        results = []
        for journal in journals:
            env = profile_env(var, database_url, redis_url, journal)
            if journal == "redis":
                import redis

                redis.Redis.from_url(redis_url).delete("chorus:clicks")
            database = "sqlite" if database_url is None else "postgresql"
            label = f"{kind}: {database}, {journal} journal" + (", redis" if redis_url else "")
            for size in args.sizes:
                results.append(run_size(label, kind, env, codes, size, bare, args))
        return results
    finally:
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000", help="Numbers of links.")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--duration", type=float, default=10, help="Seconds measured.")
    parser.add_argument("--warmup", type=float, default=2, help="Seconds per warm-up round.")
    parser.add_argument("--serve-workers", type=int, default=2, help="chorus serve --web-workers.")
    parser.add_argument("--serve-threads", type=int, default=4, help="chorus serve --threads.")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn --workers (scale-out).")
    parser.add_argument("--gunicorn-threads", type=int, default=4, help="gunicorn --threads.")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CHORUS_TEST_POSTGRES_URL", ""),
        help="A PostgreSQL server URL; a scratch database is created and dropped.",
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL", ""),
        help="REDIS_URL of the scale-out profile (cache, tasks; the Redis journal's list).",
    )
    parser.add_argument(
        "--journals",
        default="file",
        help="Journals measured in the scale-out profile: file, redis or file,redis;"
        " the embedded profile uses the file.",
    )
    parser.add_argument(
        "--profiles", default="embedded,scale-out", help="embedded, scale-out or both."
    )
    parser.add_argument("--python-load", action="store_true", help="Do not use wrk.")
    args = parser.parse_args()
    args.sizes = [int(size) for size in args.sizes.split(",")]
    profiles = args.profiles.split(",")
    if "scale-out" in profiles and not (args.postgres and args.redis):
        parser.error("the scale-out profile needs --postgres URL and --redis URL")
    if not args.python_load and not shutil.which("wrk"):
        print(
            "wrk not found (benchmarks/redirect installs it as root): Python load.", file=sys.stderr
        )
        args.python_load = True
    journals = [j for j in args.journals.split(",") if j in ("file", "redis")]
    started = time.monotonic()
    load_before = os.getloadavg()
    runs = run_profile("embedded", None, ["file"], args) if "embedded" in profiles else []
    if "scale-out" in profiles:
        import psycopg

        name = f"chorus_bench_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            url = args.postgres.rsplit("/", 1)[0] + "/" + name
            runs += run_profile("scale-out", url, journals, args)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "load_generator": "python" if args.python_load else "wrk",
                "connections": args.connections,
                "embedded_server": f"chorus serve: {args.serve_workers} x {args.serve_threads}",
                "scale_out_server": f"gunicorn: {args.workers} x {args.gunicorn_threads}",
                "cores": os.cpu_count(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                "seconds": round(time.monotonic() - started),
                "all_targets_met": all(run["targets_met"] for run in runs),
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
