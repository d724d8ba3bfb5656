"""Polling sources against a real HTTP server on 127.0.0.1: formats, conditional GET,
redirects, encodings, broken feeds, huge bodies, deduplication and auto-publishing."""

from __future__ import annotations

import threading
from datetime import timedelta
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from chorus.content.models import ContentItem, CuratedEntry, Source
from chorus.content.polling import poll_due_sources, poll_source
from tests.base import OrgTestCase
from tests.factory import make_item, make_source, make_topic
from tests.servers import local_server

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@override_settings(CHORUS_ALLOW_PRIVATE_URLS=True)
class PollingTests(OrgTestCase):
    def poll(self, source: Source):  # type: ignore[no-untyped-def]
        result = poll_source(source)
        source.refresh_from_db()
        return result

    def test_rss_atom_and_json_feeds_fill_the_inbox(self) -> None:
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            server.respond("/rdf", feed("rss10.rdf"), "application/rdf+xml")
            server.respond("/atom", feed("atom10.xml"), "application/atom+xml")
            server.respond("/json", feed("feed.json"), "application/feed+json")
            counts = {}
            for path in ("/rss", "/rdf", "/atom", "/json"):
                source = make_source(self.org, server.url(path))
                result = self.poll(source)
                self.assertTrue(result.ok, result.error)
                counts[path] = source.entries.count()
                self.assertEqual(source.last_error, "")
                self.assertIsNotNone(source.last_success_at)
        self.assertEqual(counts, {"/rss": 3, "/rdf": 2, "/atom": 2, "/json": 2})
        titles = set(CuratedEntry.objects.values_list("title", flat=True))
        self.assertIn("Our 2024 year in review", titles)
        self.assertIn("Nouveautés de mars : la planification des publications", titles)
        self.assertIn("We are hiring a platform engineer", titles)
        # A relative link in the feed became an absolute URL.
        relative = CuratedEntry.objects.get(title="Our 2024 year in review")
        self.assertRegex(relative.url, r"^https?://[^/]+/2025/01/year-in-review$")

    def test_second_poll_sends_validators_and_accepts_304(self) -> None:
        with local_server() as server:
            server.respond(
                "/rss",
                feed("rss20.xml"),
                "application/rss+xml",
                headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 10:00:00 GMT"},
            )
            source = make_source(self.org, server.url("/rss"))
            self.poll(source)
            self.assertEqual(source.etag, '"v1"')
            server.respond("/rss", b"", "application/rss+xml", status=304)
            result = self.poll(source)
            self.assertTrue(result.ok and result.not_modified)
            self.assertEqual(server.requests[-1][1].get("if-none-match"), '"v1"')
            self.assertEqual(
                server.requests[-1][1].get("if-modified-since"), "Wed, 01 Jan 2025 10:00:00 GMT"
            )
        self.assertEqual(source.entries.count(), 3)

    def test_redirecting_feed_is_followed(self) -> None:
        with local_server() as server:
            server.respond("/new-feed", feed("atom10.xml"), "application/atom+xml")
            server.redirect("/old-feed", server.url("/new-feed"), status=301)
            source = make_source(self.org, server.url("/old-feed"))
            self.assertTrue(self.poll(source).ok)
        self.assertEqual(source.entries.count(), 2)

    def test_iso_8859_1_feed_keeps_its_accents(self) -> None:
        with local_server() as server:
            server.respond("/latin1", feed("latin1.xml"), "application/rss+xml; charset=ISO-8859-1")
            source = make_source(self.org, server.url("/latin1"))
            self.assertTrue(self.poll(source).ok)
        self.assertIn("Événement à Montréal", set(source.entries.values_list("title", flat=True)))

    def test_broken_sources_record_their_error_back_off_and_never_stop_the_others(self) -> None:
        with local_server() as server:
            server.respond("/good", feed("rss20.xml"), "application/rss+xml")
            server.respond("/bad", feed("malformed.xml"), "application/rss+xml")
            server.respond("/html", feed("page.html"), "text/html")
            server.redirect("/loop-a", server.url("/loop-b"))
            server.redirect("/loop-b", server.url("/loop-a"))
            bad = make_source(self.org, server.url("/bad"), name="bad")
            missing = make_source(self.org, server.url("/missing"), name="missing")
            loop = make_source(self.org, server.url("/loop-a"), name="loop")
            html = make_source(self.org, server.url("/html"), name="html")
            good = make_source(self.org, server.url("/good"), name="good")
            results = poll_due_sources()
        self.assertEqual(len(results), 5)
        good.refresh_from_db()
        self.assertEqual(good.entries.count(), 3)
        for source in (bad, missing, loop, html):
            source.refresh_from_db()
            self.assertEqual(source.failure_count, 1, source.name)
            self.assertTrue(source.last_error, source.name)
            self.assertGreater(source.next_poll_at, timezone.now() + timedelta(minutes=59))
            self.assertEqual(source.entries.count(), 0)
        missing.refresh_from_db()
        self.assertIn("404", missing.last_error)
        # A second failure waits twice as long.
        with local_server() as server:
            missing.url = server.url("/missing")
            missing.next_poll_at = None
            missing.save()
            self.poll(missing)
        self.assertEqual(missing.failure_count, 2)
        self.assertGreater(missing.next_poll_at, timezone.now() + timedelta(minutes=119))

    def test_a_timeout_is_an_error_like_the_others(self) -> None:
        released = threading.Event()
        with local_server() as server:

            def slow(request):  # type: ignore[no-untyped-def]
                released.wait(timeout=10)  # answers only once the client gave up
                request.send_response(200)
                request.end_headers()

            server.routes["/slow"] = slow
            source = make_source(self.org, server.url("/slow"))
            try:
                with self.settings(CHORUS_FETCH_TIMEOUT=0.5):
                    result = self.poll(source)
            finally:
                released.set()
        self.assertFalse(result.ok)
        self.assertEqual(source.failure_count, 1)

    def test_a_50_mb_body_is_cut_off_safely(self) -> None:
        chunk = b"<rss>" + b" " * (1024 * 1024 - 5)

        with local_server() as server:

            def huge(request):  # type: ignore[no-untyped-def]
                request.send_response(200)
                request.send_header("Content-Type", "application/rss+xml")
                request.end_headers()
                for _ in range(50):
                    request.wfile.write(chunk)

            server.routes["/huge"] = huge
            source = make_source(self.org, server.url("/huge"))
            with self.settings(CHORUS_FEED_MAX_BYTES=2 * 1024 * 1024):
                result = self.poll(source)
        self.assertFalse(result.ok)
        self.assertEqual(source.entries.count(), 0)
        self.assertTrue(source.last_error)

    def test_the_same_article_from_two_sources_is_one_entry(self) -> None:
        rss = feed("rss20.xml")
        tracked = rss.replace(
            b"https://blog.acme.example/2025/03/onboarding",
            b"https://BLOG.acme.example/2025/03/onboarding?utm_source=rss&amp;utm_medium=feed",
        )
        with local_server() as server:
            server.respond("/a", rss, "application/rss+xml")
            server.respond("/b", tracked, "application/rss+xml")
            first = make_source(self.org, server.url("/a"))
            second = make_source(self.org, server.url("/b"))
            self.poll(first)
            self.poll(second)
        self.assertEqual(CuratedEntry.objects.filter(org=self.org).count(), 3)
        self.assertEqual(second.entries.count(), 0)

    def test_articles_already_in_the_library_are_not_curated_again(self) -> None:
        make_item(
            self.org,
            url="https://blog.acme.example/podcast/7",
            canonical_url="https://blog.acme.example/podcast/7",
        )
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            source = make_source(self.org, server.url("/rss"))
            self.poll(source)
        self.assertEqual(source.entries.count(), 2)

    def test_another_org_may_curate_the_same_article(self) -> None:
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            self.poll(make_source(self.org, server.url("/rss")))
            self.poll(make_source(self.other_org, server.url("/rss")))
        self.assertEqual(CuratedEntry.objects.filter(org=self.other_org).count(), 3)

    def test_trusted_source_publishes_automatically_up_to_its_daily_cap(self) -> None:
        topic = make_topic(self.org, "Engineering")
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            source = make_source(self.org, server.url("/rss"), auto_publish=True, daily_cap=2)
            source.default_topics.add(topic)
            self.poll(source)
        published = ContentItem.objects.filter(org=self.org, status=ContentItem.Status.PUBLISHED)
        self.assertEqual(published.count(), 2)
        self.assertEqual(
            source.entries.filter(status=CuratedEntry.Status.AUTO_PUBLISHED).count(), 2
        )
        self.assertEqual(source.entries.filter(status=CuratedEntry.Status.NEW).count(), 1)
        self.assertTrue(all(topic in item.topics.all() for item in published))

    def test_poll_sources_command_runs_one_pass(self) -> None:
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            source = make_source(self.org, server.url("/rss"))
            out = StringIO()
            call_command("poll-sources", "--once", stdout=out)
        self.assertEqual(source.entries.count(), 3)
        self.assertIn("3 new", out.getvalue())

    def test_two_workers_never_poll_the_same_source(self) -> None:
        from chorus.content.polling import claim

        source = make_source(self.org, next_poll_at=timezone.now() - timedelta(minutes=1))
        copy = Source.objects.get(pk=source.pk)
        self.assertTrue(claim(source, timezone.now()))
        self.assertFalse(claim(copy, timezone.now()))


class GuardTests(OrgTestCase):
    def test_with_the_guard_on_a_loopback_feed_is_refused_without_any_request(self) -> None:
        with local_server() as server:
            server.respond("/rss", feed("rss20.xml"), "application/rss+xml")
            source = make_source(self.org, server.url("/rss"))
            result = poll_source(source)
            self.assertEqual(server.requests, [])
        self.assertFalse(result.ok)
        source.refresh_from_db()
        self.assertTrue(source.last_error)
