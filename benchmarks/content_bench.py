"""Content hub benchmarks: one polling pass over many local feeds, and library search.

Run through `benchmarks/polling` and `benchmarks/library-search`. Each run uses a fresh
SQLite database in a temporary folder (or PostgreSQL when DATABASE_URL is set: the tables
are created in that database, so point it at a scratch one).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
TMP = tempfile.mkdtemp(prefix="chorus-bench-")
os.environ.setdefault("SECRET_KEY", "benchmark-secret-key-0123456789-abcdefghijk")
os.environ.setdefault("CHORUS_VAR_DIR", TMP)
os.environ["CHORUS_ALLOW_PRIVATE_URLS"] = "1"  # the feeds are served on 127.0.0.1
os.environ["CHORUS_HUEY_IMMEDIATE"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chorus.settings")
os.environ["CHORUS_LOG_LEVEL"] = "WARNING"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

WORDS = (
    "cloud security data team customer energy office hiring engineer product launch report "
    "partner event webinar growth platform design research climate innovation talent "
    "nuage sécurité équipe client énergie bureau recrutement ingénieur produit lancement"
).split()


def rss(feed: int, entries: int) -> bytes:
    items = "".join(
        f"<item><title>Feed {feed} story {n}: {' '.join(random.sample(WORDS, 4))}</title>"
        f"<link>https://news{feed}.example.com/{n}?utm_source=rss</link>"
        f"<guid>feed-{feed}-{n}</guid><description>Summary {n} of feed {feed}.</description>"
        f"<pubDate>Mon, 02 Mar 2026 10:{n % 60:02d}:00 GMT</pubDate></item>"
        for n in range(entries)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Feed {feed}</title><link>https://news{feed}.example.com/</link>{items}"
        f"</channel></rss>"
    ).encode()


def serve(feeds: dict[str, bytes]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = feeds.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = f'"{hash(body)}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_org():  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from chorus.orgs.actions import do_create_organization
    from chorus.orgs.models import Membership

    call_command("migrate", verbosity=0)
    admin = get_user_model().objects.create_user(f"bench-{time.time_ns()}@example.com", "x" * 12)
    org = do_create_organization("Bench", f"bench-{time.time_ns()}", admin)
    return org, Membership.objects.get(org=org, user=admin)


def polling(args: argparse.Namespace) -> None:
    from chorus.content.models import CuratedEntry, Source
    from chorus.content.polling import poll_due_sources

    random.seed(1)
    org, _member = make_org()
    feeds = {f"/feed/{n}.xml": rss(n, args.entries) for n in range(args.sources)}
    server = serve(feeds)
    port = server.server_address[1]
    Source.objects.bulk_create(
        Source(org=org, name=f"Feed {n}", url=f"http://127.0.0.1:{port}/feed/{n}.xml")
        for n in range(args.sources)
    )
    # Peak memory from the OS (tracemalloc would slow parsing tenfold and skew the time).
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    results = poll_due_sources(force=True)
    first = time.perf_counter() - start
    entries = CuratedEntry.objects.filter(org=org).count()
    failed = sum(1 for result in results if not result.ok)
    start = time.perf_counter()
    poll_due_sources(force=True)
    second = time.perf_counter() - start
    server.shutdown()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"polling: {args.sources} sources x {args.entries} entries ({django.db.connection.vendor})"
    )
    print(f"  first pass (all new):     {first:8.2f} s  {entries} entries stored, {failed} failed")
    print(f"  per source:               {first / args.sources * 1000:8.1f} ms")
    print(
        f"  second pass (304s):       {second:8.2f} s  (ratio first/second {first / second:.1f}x)"
    )
    print(f"  peak process RSS:         {rss_mb:8.1f} MB (before the pass: {rss_before:.1f} MB)")


def library(args: argparse.Namespace) -> None:
    from django.db import connection

    from chorus.content.library import search_items
    from chorus.content.models import Caption, ContentItem, Topic

    random.seed(2)
    org, member = make_org()
    topics = [Topic.objects.create(org=org, name=f"Topic {n}") for n in range(10)]
    batch = []
    for n in range(args.items):
        words = random.sample(WORDS, 6)
        batch.append(
            ContentItem(
                org=org,
                title=" ".join(words[:4]).capitalize() + f" #{n}",
                url=f"https://www.example.com/{n}",
                canonical_url=f"https://www.example.com/{n}",
                summary=" ".join(random.sample(WORDS, 12)),
                language=random.choice(["en", "fr"]),
                status=random.choice(["published"] * 8 + ["draft", "archived"]),
            )
        )
    ContentItem.objects.bulk_create(batch, batch_size=2000)
    ids = list(ContentItem.objects.filter(org=org).values_list("id", flat=True))
    through = ContentItem.topics.through
    through.objects.bulk_create(
        (through(contentitem_id=i, topic_id=random.choice(topics).pk) for i in ids), batch_size=5000
    )
    Caption.objects.bulk_create(
        (
            Caption(
                org=org,
                item_id=i,
                network=random.choice(["x", "linkedin", "mastodon"]),
                language="en",
                text="caption",
            )
            for i in ids
        ),
        batch_size=5000,
    )

    def timed(filters: dict) -> float:  # type: ignore[type-arg]
        start = time.perf_counter()
        items = search_items(member, filters)
        list(items[:30])
        items.count()
        return (time.perf_counter() - start) * 1000

    def percentile(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[int(p) - 1]

    timed({})  # warm up
    baseline = [timed({}) for _ in range(args.queries)]
    searches = [
        timed({"q": " ".join(random.sample(WORDS, random.choice([1, 2])))})
        for _ in range(args.queries)
    ]
    filtered = [
        timed(
            {
                "q": random.choice(WORDS),
                "topic": random.choice(topics),
                "language": "fr",
                "network": "x",
                "status": "published",
            }
        )
        for _ in range(args.queries)
    ]
    print(f"library search: {args.items} items, {args.queries} queries each ({connection.vendor})")
    for name, values in (
        ("first page, no filter", baseline),
        ("text search", searches),
        ("text + 4 filters", filtered),
    ):
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"  {name:<22} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms")
    ratio = percentile(searches, 95) / percentile(baseline, 95)
    print(f"  text search p95 / baseline p95: {ratio:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="which", required=True)
    poll = sub.add_parser("polling")
    poll.add_argument("--sources", type=int, default=500)
    poll.add_argument("--entries", type=int, default=50)
    search = sub.add_parser("library")
    search.add_argument("--items", type=int, default=20000)
    search.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    polling(args) if args.which == "polling" else library(args)


if __name__ == "__main__":
    main()
