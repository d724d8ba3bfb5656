"""Time `POST /api/v1/shares/check` on an item that 10,000 colleagues already shared.

Run through `benchmarks/share-check`. A child process migrates a fresh database (SQLite in
a temporary folder; PostgreSQL too with `--postgres URL`: a scratch database is created and
dropped), stores `--shares` shares of one item by colleagues with their signatures (texts
from benchmarks/near-duplicates: most copy one of the captions, a third are personal), then
times the check through Django's test client with a Bearer token over `--requests` calls
with copies and personal texts: p50/p95/p99, the first call of the process (the kept index
built) and a call after a colleague's new share (the index grown). The same run times the
old way (the index rebuilt from every stored signature on each call) for comparison. Prints
one JSON object per database.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def near_duplicates():  # type: ignore[no-untyped-def]
    """The corpus of benchmarks/near-duplicates (a script without a .py suffix)."""
    path = str(ROOT / "benchmarks" / "near-duplicates")
    loader = importlib.machinery.SourceFileLoader("near_duplicates_bench", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = module  # its dataclasses look their module up
    loader.exec_module(module)
    return module


def percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 2), "p95": round(cuts[94], 2), "p99": round(cuts[98], 2)}


def child(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from chorus.api.tokens import do_create_token
    from chorus.content.models import Caption, ContentItem
    from chorus.orgs.actions import do_create_organization
    from chorus.orgs.models import Membership, Role
    from chorus.program.models import Participation
    from chorus.sharing import originality, share_check
    from chorus.sharing.models import Share

    call_command("migrate", verbosity=0)
    corpus = near_duplicates()
    texts, _ = corpus.colleague_texts(args.seed, args.shares)
    queries, _ = corpus.query_texts(args.seed, max(args.requests, 2))
    from django.contrib.auth import get_user_model

    User = get_user_model()
    admin = User.objects.create_user("bench-admin@example.com", "x" * 16)
    org = do_create_organization("Bench", "bench", admin)
    people = 500
    users = User.objects.bulk_create(
        User(email=f"person{n}@example.com", password="!") for n in range(people + 1)
    )
    members = Membership.objects.bulk_create(
        Membership(org=org, user=user, role=Role.AMBASSADOR) for user in users
    )
    now = timezone.now()
    Participation.objects.bulk_create(
        Participation(org=org, membership=m, status="active", opted_in_at=now) for m in members
    )
    item = ContentItem.objects.create(
        org=org, title="Our 2025 climate report", url="https://acme.example/climate-2025",
        status=ContentItem.Status.PUBLISHED, language="en",
    )  # fmt: skip
    for n, caption in enumerate(corpus.ITEMS[0]["captions"]):
        Caption.objects.create(org=org, item=item, network=("linkedin", "x")[n], text=caption)
    Share.objects.bulk_create(
        (
            Share(
                org=org, membership=members[1 + n % people], item=item, network="linkedin",
                text=text, signature=originality.signature(text, (item.url,)),
                status=Share.Status.PUBLISHED,
            )
            for n, text in enumerate(texts)
        ),
        batch_size=2000,
    )  # fmt: skip
    token = do_create_token(members[0], "bench")[1]
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {token}")

    def call(text: str) -> float:
        body = {"content": item.pk, "network": "linkedin", "text": text}
        start = time.perf_counter()
        response = client.post("/api/v1/shares/check", body, content_type="application/json")
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, response.content
        return elapsed

    share_check.forget()
    first = call(queries[0])
    warm = [call(queries[n % len(queries)]) for n in range(args.requests)]
    # A colleague shares: the next call grows the index by one share.
    Share.objects.create(
        org=org, membership=members[1], item=item, network="x", text=queries[1],
        signature=originality.signature(queries[1], (item.url,)), status=Share.Status.SCHEDULED,
    )  # fmt: skip
    after_share = call(queries[0])
    copies = sum(1 for n in range(0, len(queries), 2) if n < args.requests)

    # The old way, in the same run: the index rebuilt from every stored signature each call.
    def rebuilt(item, membership):  # type: ignore[no-untyped-def]
        shares = (
            Share.objects.filter(org_id=item.org_id, item=item, signature__isnull=False,
                                 created_at__gte=timezone.now() - share_check.RECENT)
            .exclude(status__in=[Share.Status.CANCELLED, Share.Status.DRAFT])
        )  # fmt: skip
        if membership is not None:
            shares = shares.exclude(membership=membership)
        return originality.NearDuplicateIndex.from_signatures(
            (pk, bytes(value)) for pk, value in shares.values_list("pk", "signature")
        )

    kept_index = share_check.colleagues_index
    share_check.colleagues_index = rebuilt  # type: ignore[assignment]
    try:
        baseline = [call(queries[n % len(queries)]) for n in range(args.baseline)]
    finally:
        share_check.colleagues_index = kept_index
    result = {
        "benchmark": "share-check",
        "database": connection.vendor,
        "shares_on_item": args.shares + 1,
        "requests": args.requests,
        "copies_among_queries": copies,
        "cpus": os.cpu_count(),
        "first_call_ms": round(first, 1),
        "warm_ms": percentiles(warm),
        "after_a_share_ms": round(after_share, 2),
        "rebuilt_each_call_ms": percentiles(baseline) if len(baseline) > 1 else None,
        "target_p95_ms": 20,
    }
    result["target_met"] = result["warm_ms"]["p95"] <= 20
    print(json.dumps(result))


def run_child(database_url: str | None, args: argparse.Namespace) -> None:
    var = Path(tempfile.mkdtemp(prefix="chorus-check-bench-"))
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
        CHORUS_STATIC_MANIFEST="0",
        CHORUS_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="chorus.settings",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    command = [sys.executable, __file__, "--child", *sys.argv[1:]]
    try:
        subprocess.run(command, env=env, cwd=ROOT, check=True)
    finally:
        shutil.rmtree(var, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("CHORUS_BENCH_POSTGRES_URL", ""),
        help="A PostgreSQL server URL: a scratch database is created there and dropped.",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args)
        return
    run_child(None, args)
    if args.postgres:
        import psycopg

        name = f"chorus_check_bench_{os.getpid()}"
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        try:
            run_child(args.postgres.rsplit("/", 1)[0] + "/" + name, args)
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
