"""benchmarks/redirect: Chorus's tracked-link redirect against a bare 302 app, same server.

For each database (SQLite, and PostgreSQL when a URL is given): migrate a scratch database,
create N links, start gunicorn the way the README's scale-out section does, load /l/<code>
with wrk over loopback, then do the same against a bare "return 302" WSGI app on the same
gunicorn settings, in the same run. Prints JSON: requests/s, p50, p99, the ratio, and checks
that every click the load produced was journaled and ingested.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

SETUP = """
import json, os
from django.contrib.auth import get_user_model
from chorus.content.models import ContentItem
from chorus.links.actions import link_for
from chorus.orgs.actions import do_create_organization
from chorus.orgs.models import Membership
count = int(os.environ["BENCH_LINKS"])
admin = get_user_model().objects.create_user("bench@example.com", "x" * 12)
org = do_create_organization("Bench", "bench", admin)
member = Membership.objects.get(org=org, user=admin)
from chorus.program.models import Participation
Participation.objects.create(org=org, membership=member, status="active")
items = ContentItem.objects.bulk_create(
    ContentItem(org=org, title=f"t{n}", url=f"https://www.example.com/a/{n}", status="published")
    for n in range(count)
)
codes = [link_for(member, "linkedin", item=item).code for item in items]
print(json.dumps(codes))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    # The README's scale-out command: N gunicorn workers per host.
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(port: int, script: Path, args: argparse.Namespace) -> dict[str, float]:
    output = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "99" not in latency:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50_ms": to_ms(latency["50"]),
        "p99_ms": to_ms(latency["99"]),
        "requests": requests,
        "bad_responses": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def run(database: str, database_url: str | None, args: argparse.Namespace) -> dict[str, object]:
    var = Path(tempfile.mkdtemp(prefix="chorus-redirect-"))
    (var / "static").mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CHORUS_", "DATABASE_URL", "REDIS_URL"))
    }
    env.update(
        SECRET_KEY="benchmark-secret-key-0123456789-abcdefghijk",
        CHORUS_VAR_DIR=str(var),
        CHORUS_ENV_FILE=os.devnull,
        DJANGO_SETTINGS_MODULE="chorus.settings",
        CHORUS_LOG_LEVEL="WARNING",
        CHORUS_DB_CONN_MAX_AGE="600",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    subprocess.run([PYTHON, "-m", "chorus", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    codes = json.loads(
        subprocess.run(
            [PYTHON, "-m", "chorus", "shell", "-c", SETUP],
            env={**env, "BENCH_LINKS": str(args.links)},
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    script = var / "codes.lua"
    script.write_text(
        "local codes = {" + ",".join(f'"{code}"' for code in codes) + "}\n"
        "request = function()\n"
        '  return wrk.format("GET", "/l/" .. codes[math.random(#codes)], '
        '{["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"})\n'
        "end\n"
    )
    results: dict[str, object] = {"database": database, "links": len(codes)}
    for name, app in (("chorus", "chorus.wsgi:application"), ("bare", "benchmarks.bare_app:app")):
        port = free_port()
        server = gunicorn(app, port, args.workers, env)
        try:
            wait_for(port)
            warmup = load(
                port, script, argparse.Namespace(**{**vars(args), "duration": args.warmup})
            )
            results[name] = load(port, script, args)
            results[name]["warmup_requests"] = warmup["requests"]  # type: ignore[index]
        finally:
            stop(server)
    ingested = subprocess.run(
        [PYTHON, "-m", "chorus", "ingest_clicks"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[0]
    chorus, bare = results["chorus"], results["bare"]
    results["ratio"] = round(chorus["requests_per_second"] / bare["requests_per_second"], 3)  # type: ignore[index]
    results["clicks_ingested"] = int(ingested)
    # Every redirect wrk saw (warm-up included) must have its click; a request cut off when
    # wrk stops may be journaled without being counted by wrk, hence "at least".
    served = chorus["requests"] + chorus["warmup_requests"]  # type: ignore[index]
    results["redirects_served"] = served
    results["every_served_click_ingested"] = int(ingested) >= served
    shutil.rmtree(var, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5, help="Seconds of load before measuring.")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CHORUS_TEST_POSTGRES_URL", ""),
        help="A PostgreSQL server URL; a scratch database is created and dropped.",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed (apt-get install wrk).")
    runs = [run("sqlite", None, args)]
    if args.postgres:
        import psycopg

        name = f"chorus_bench_{os.getpid()}"
        admin_url = args.postgres
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            runs.append(run("postgresql", admin_url.rsplit("/", 1)[0] + "/" + name, args))
        finally:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        json.dumps(
            {
                "connections": args.connections,
                "workers": args.workers,
                "cores": os.cpu_count(),
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
