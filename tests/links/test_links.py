"""Tracked links: creation, the redirect, the click journal, bots, visitors, rollups, API."""

from __future__ import annotations

import json
import random
import shutil
import tempfile
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import time_machine
from django.core.management import CommandError, call_command
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from chorus.content.models import ContentItem
from chorus.links import ingest as ingest_module
from chorus.links import journal, redirect
from chorus.links.actions import LinkError, link_for, link_settings
from chorus.links.ingest import ingest, recount_days
from chorus.links.models import Click, DailySalt, LinkDay, TrackedLink
from tests.base import OrgTestCase
from tests.factory import make_campaign, make_item, make_member, make_org, make_token

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
IPHONE_LINKEDIN = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [LinkedInApp]/9.29.1640"
)
LINKEDIN_BOT = (
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"
)


class LinkTestCase(OrgTestCase):
    def setUp(self) -> None:
        self.journal_dir = tempfile.mkdtemp()
        override = override_settings(
            CHORUS_CLICK_JOURNAL="file", CHORUS_CLICK_JOURNAL_DIR=self.journal_dir
        )
        override.enable()
        self.addCleanup(override.disable)
        self.addCleanup(shutil.rmtree, self.journal_dir, True)
        journal.reset()
        self.addCleanup(journal.reset)
        redirect._cache.clear()
        redirect._salts.clear()

    def journal_lines(self) -> list[dict]:  # type: ignore[type-arg]
        lines = []
        for path in Path(self.journal_dir).glob("*.jsonl"):
            lines += [json.loads(line) for line in path.read_text().splitlines() if line]
        return lines

    def visit(self, code: str, user_agent: str = CHROME, ip: str = "203.0.113.7", **headers: str):  # type: ignore[no-untyped-def]
        return self.client.get(f"/l/{code}", HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip, **headers)


class LinkCreationTests(LinkTestCase):
    def test_one_link_per_ambassador_item_and_network_with_utm_tags(self) -> None:
        campaign = make_campaign(self.org, slug="spring")
        item = make_item(
            self.org, url="https://www.example.com/post?ref=home#top", campaign=campaign
        )
        link = link_for(self.amy_m, "linkedin", item=item)
        self.assertEqual(link_for(self.amy_m, "linkedin", item=item), link)
        self.assertNotEqual(link_for(self.amy_m, "x", item=item), link)
        self.assertNotEqual(link_for(self.maya_m, "linkedin", item=item), link)
        parts = urlsplit(link.destination)
        query = parse_qs(parts.query)
        self.assertEqual(query["ref"], ["home"])
        self.assertEqual(query["utm_source"], ["linkedin"])
        self.assertEqual(query["utm_medium"], ["employee_advocacy"])
        self.assertEqual(query["utm_campaign"], ["spring"])
        self.assertEqual(query["utm_content"], [link.share_ref])
        self.assertNotIn(self.amy.email, link.destination)
        self.assertEqual(parts.fragment, "top")

    def test_codes_are_random_not_sequential(self) -> None:
        item = make_item(self.org)
        codes = [
            link_for(self.amy_m, net, item=item).code
            for net in ("x", "linkedin", "mastodon", "bluesky")
        ]
        self.assertEqual(len(set(codes)), 4)
        for code in codes:
            self.assertRegex(code, r"^[2-9a-zA-HJ-NP-Z]{9}$")
            self.assertFalse(code.isdigit())

    def test_unshareable_content_gets_no_link(self) -> None:
        for item in (
            make_item(self.org, status=ContentItem.Status.DRAFT),
            make_item(self.org, internal_only=True),
            make_item(self.other_org),
        ):
            with self.assertRaises(LinkError):
                link_for(self.amy_m, "x", item=item)
        with self.assertRaises(LinkError):
            link_for(self.amy_m, "myspace", url="https://example.com")
        with self.assertRaises(LinkError):
            link_for(self.amy_m, "x", url="javascript:alert(1)")


class RedirectTests(LinkTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.item = make_item(self.org, url="https://www.example.com/post")
        self.link = link_for(self.amy_m, "linkedin", item=self.item)

    def test_redirect_goes_to_the_stored_destination_and_journals_the_click(self) -> None:
        response = self.visit(self.link.code, HTTP_REFERER="https://www.linkedin.com/feed/")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Cache-Control"], "private, no-store")
        location = response["Location"]
        self.assertTrue(location.startswith(self.link.destination + "&chorus_click="))
        [line] = self.journal_lines()
        self.assertEqual(line["l"], self.link.pk)
        self.assertEqual(line["r"], "linkedin.com")
        self.assertEqual(location.rsplit("=", 1)[1], line["e"])
        # The visitor's IP address is never written down, not even in the journal.
        self.assertNotIn("203.0.113.7", json.dumps(line))

    def test_unknown_and_malformed_codes_are_404(self) -> None:
        for code in ("nope12345", "abc", "a" * 30, "%2F%2Fevil.example", "..%2F"):
            response = self.client.get(f"/l/{code}")
            self.assertEqual(response.status_code, 404, code)
            self.assertNotIn("Location", response)
        self.assertEqual(self.journal_lines(), [])

    def test_head_and_prefetch_are_not_clicks(self) -> None:
        self.assertEqual(self.client.head(f"/l/{self.link.code}").status_code, 302)
        self.assertEqual(self.visit(self.link.code, HTTP_PURPOSE="prefetch").status_code, 302)
        self.assertEqual(
            self.visit(self.link.code, HTTP_SEC_PURPOSE="prefetch;prerender").status_code, 302
        )
        self.assertEqual(self.visit(self.link.code, HTTP_X_PURPOSE="preview").status_code, 302)
        self.assertEqual(self.journal_lines(), [])
        self.assertEqual(self.client.post(f"/l/{self.link.code}").status_code, 405)

    def test_archived_content_leads_to_the_fallback_and_is_still_counted(self) -> None:
        options = link_settings(self.org)
        options.fallback_url = "https://www.acme.example/"
        options.save()
        ContentItem.objects.filter(pk=self.item.pk).update(status=ContentItem.Status.ARCHIVED)
        response = self.visit(self.link.code)
        self.assertEqual(response["Location"], "https://www.acme.example/")
        ingest()
        click = Click.objects.get()
        self.assertTrue(click.fallback)
        self.assertFalse(click.is_bot)

    def test_expired_content_without_fallback_goes_to_the_site_root(self) -> None:
        ContentItem.objects.filter(pk=self.item.pk).update(
            expire_at=timezone.now() - timedelta(hours=1)
        )
        self.assertEqual(self.visit(self.link.code)["Location"], "https://www.example.com/")

    def test_the_lookup_reads_publication_times_and_links_without_content(self) -> None:
        soon = timezone.now() + timedelta(hours=1)
        ContentItem.objects.filter(pk=self.item.pk).update(publish_at=soon, expire_at=soon)
        self.assertEqual(self.visit(self.link.code)["Location"], "https://www.example.com/")
        redirect._cache.clear()
        ContentItem.objects.filter(pk=self.item.pk).update(
            publish_at=timezone.now() - timedelta(hours=1)
        )
        self.assertIn("utm_source=linkedin", self.visit(self.link.code)["Location"])
        options = link_settings(self.org)
        options.allowed_domains = "example.com"
        options.save()
        bare = link_for(self.amy_m, "x", url="https://blog.example.com/a")
        self.assertTrue(self.visit(bare.code)["Location"].startswith("https://blog.example.com/a?"))

    def test_the_code_cache_forgets_the_least_recently_used_code_not_all(self) -> None:
        other = link_for(self.amy_m, "x", item=self.item)
        third = link_for(self.maya_m, "x", item=self.item)
        with mock.patch.object(redirect, "CACHE_SIZE", 2):
            self.visit(self.link.code)
            self.visit(other.code)
            self.visit(self.link.code)  # used again: now the most recent
            with self.assertNumQueries(1):
                self.visit(third.code)  # one query for the new code, none for the salt
            self.assertEqual(list(redirect._cache), [self.link.code, third.code])
            with self.assertNumQueries(0):
                self.assertEqual(self.visit(self.link.code).status_code, 302)
                self.assertEqual(self.visit(third.code).status_code, 302)
            with self.assertNumQueries(1):
                self.assertEqual(self.visit(other.code).status_code, 302)


class IngestTests(LinkTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.link = link_for(self.amy_m, "linkedin", item=make_item(self.org))

    def test_bots_are_stored_apart_and_in_app_browsers_count(self) -> None:
        self.visit(self.link.code, CHROME)
        self.visit(self.link.code, IPHONE_LINKEDIN, ip="198.51.100.4")
        self.visit(self.link.code, LINKEDIN_BOT, ip="198.51.100.9")
        self.visit(self.link.code, "", ip="198.51.100.10")
        self.assertEqual(ingest(), 4)
        self.assertEqual(Click.objects.filter(is_bot=False).count(), 2)
        self.assertEqual(Click.objects.filter(is_bot=True).count(), 2)
        day = LinkDay.objects.get(link=self.link)
        self.assertEqual((day.clicks, day.bot_clicks, day.unique_visitors), (2, 2, 2))
        self.assertEqual(
            Click.objects.get(visitor__isnull=False, is_bot=False, device="mobile").link, self.link
        )

    def test_unique_visitors_per_day_without_raw_ips(self) -> None:
        for _ in range(3):
            self.visit(self.link.code, CHROME, ip="203.0.113.7")
        self.visit(self.link.code, CHROME, ip="203.0.113.8")
        ingest()
        day = LinkDay.objects.get(link=self.link)
        self.assertEqual((day.clicks, day.unique_visitors), (4, 2))
        for value in Click.objects.values_list("visitor", flat=True):
            self.assertNotIn("203.0.113", value)
            self.assertEqual(len(value), 32)

    def test_ingesting_twice_counts_once_and_files_are_consumed_incrementally(self) -> None:
        self.visit(self.link.code)
        self.assertEqual(ingest(), 1)
        self.assertEqual(ingest(), 0)
        self.visit(self.link.code)
        self.assertEqual(ingest(), 1)
        self.assertEqual(Click.objects.count(), 2)
        self.assertEqual(LinkDay.objects.get(link=self.link).clicks, 2)

    def test_a_half_written_line_waits_for_the_next_pass(self) -> None:
        self.visit(self.link.code)
        [path] = Path(self.journal_dir).glob("*.jsonl")
        with path.open("ab") as handle:
            handle.write(b'{"e":"partial')
        self.assertEqual(ingest(), 1)
        with path.open("ab") as handle:
            handle.write(
                b'","l":%d,"o":%d,"t":1700000000,"v":"x","u":"","r":"","f":false}\n'
                % (self.link.pk, self.org.pk)
            )
        self.assertEqual(ingest(), 1)
        self.assertTrue(Click.objects.filter(event_id="partial").exists())

    def test_a_pass_ends_at_what_was_written_when_it_started(self) -> None:
        self.visit(self.link.code)
        store = ingest_module._store

        def store_while_clicks_keep_coming(clicks):  # type: ignore[no-untyped-def]
            self.visit(self.link.code)  # the file grows during every batch
            return store(clicks)

        with mock.patch.object(ingest_module, "_store", store_while_clicks_keep_coming):
            self.assertEqual(ingest(), 1)
        self.assertEqual(len(self.journal_lines()), 2)
        self.assertEqual(ingest(), 1)

    @time_machine.travel(datetime(2026, 6, 1, 23, 59, 59, tzinfo=UTC), tick=False)
    def test_salts_are_daily_and_old_ones_are_erased(self) -> None:
        self.visit(self.link.code)
        DailySalt.objects.create(day=timezone.now().date() - timedelta(days=5))
        ingest()
        self.assertEqual(
            list(DailySalt.objects.values_list("day", flat=True)), [timezone.now().date()]
        )

    def test_the_redis_journal_gives_the_same_result(self) -> None:
        import redis as redis_client

        url = "redis://127.0.0.1:6379/15"
        client = redis_client.Redis.from_url(url)
        client.delete(journal.REDIS_KEY)
        with override_settings(CHORUS_CLICK_JOURNAL="redis", REDIS_URL=url):
            journal.reset()
            self.visit(self.link.code)
            self.visit(self.link.code, LINKEDIN_BOT)
            self.assertEqual(client.llen(journal.REDIS_KEY), 2)
            self.assertEqual(ingest(), 2)
            self.assertEqual(client.llen(journal.REDIS_KEY), 0)
        journal.reset()
        self.assertEqual(Click.objects.filter(is_bot=False).count(), 1)


class LinkApiTests(LinkTestCase):
    def call(self, method: str, path: str, token: str, body: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is None:
            return getattr(self.client, method)(f"/api/v1{path}", **extra)
        return getattr(self.client, method)(
            f"/api/v1{path}", json.dumps(body), content_type="application/json", **extra
        )

    def test_create_and_read_a_link(self) -> None:
        item = make_item(self.org)
        pm = make_token(self.paul_m)[1]
        response = self.call(
            "post",
            "/links",
            pm,
            {"content": item.pk, "ambassador": "amy@acme.example", "network": "x"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertTrue(body["short_url"].endswith(f"/l/{body['code']}"))
        again = self.call(
            "post",
            "/links",
            pm,
            {"content": item.pk, "ambassador": "amy@acme.example", "network": "x"},
        )
        self.assertEqual(again.json()["code"], body["code"])
        self.visit(body["code"])
        self.visit(body["code"], LINKEDIN_BOT)
        ingest()
        stats = self.call("get", f"/links/{body['code']}", pm).json()
        self.assertEqual(
            (stats["clicks"], stats["bot_clicks"], stats["unique_visitors"], stats["conversions"]),
            (1, 1, 1, 0),
        )
        amy = make_token(self.amy_m)[1]
        self.assertEqual(self.call("get", f"/links/{body['code']}", amy).status_code, 200)
        maya = make_token(self.maya_m)[1]
        self.assertEqual(self.call("get", f"/links/{body['code']}", maya).status_code, 404)

    def test_links_for_a_url_and_permission_rules(self) -> None:
        options = link_settings(self.org)
        options.allowed_domains = "example.com"  # ambassadors link to allowed domains only
        options.save()
        amy = make_token(self.amy_m)[1]
        response = self.call(
            "post", "/links", amy, {"url": "https://blog.example.com/a?x=1", "network": "mastodon"}
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertIn("x=1&utm_source=mastodon", response.json()["destination"])
        self.assertEqual(
            self.call(
                "post",
                "/links",
                amy,
                {"url": "https://e.com", "network": "x", "ambassador": "maya@acme.example"},
            ).status_code,
            403,
        )
        pm = make_token(self.paul_m)[1]
        self.assertEqual(
            self.call(
                "post",
                "/links",
                pm,
                {"url": "https://e.com", "network": "x", "ambassador": "oscar@globex.example"},
            ).status_code,
            404,
        )
        self.assertEqual(
            self.call("post", "/links", pm, {"url": "ftp://e.com", "network": "x"}).status_code, 400
        )
        self.assertEqual(self.call("post", "/links", pm, {"network": "x"}).status_code, 400)
        self.assertEqual(TrackedLink.objects.count(), 1)


class WsgiFastPathTests(LinkTestCase):
    """Production requests reach the redirect through chorus.wsgi without the middleware."""

    def call(self, path: str, method: str = "GET") -> tuple[str, dict[str, str], bytes]:
        import io

        from chorus.wsgi import application

        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "HTTP_USER_AGENT": CHROME,
            "REMOTE_ADDR": "198.51.100.1",
            "HTTP_HOST": "testserver",
        }
        captured: dict[str, object] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> None:
            captured["status"], captured["headers"] = status, dict(headers)

        # Like Django's test client: the request must not close the test's transaction.
        from django.core import signals
        from django.db import close_old_connections

        signals.request_finished.disconnect(close_old_connections)
        try:
            body = b"".join(application(environ, start_response))
        finally:
            signals.request_finished.connect(close_old_connections)
        return str(captured["status"]), captured["headers"], body  # type: ignore[return-value]

    def test_known_code_redirects_and_journals_unknown_code_gets_djangos_404(self) -> None:
        link = link_for(self.amy_m, "x", item=make_item(self.org, url="https://example.com/p#part"))
        status, headers, _ = self.call(f"/l/{link.code}")
        self.assertEqual(status, "302 Found")
        self.assertRegex(
            headers["Location"], r"^https://example\.com/p\?.*&chorus_click=[0-9a-f]{32}#part$"
        )
        self.assertEqual(headers["Cache-Control"], "private, no-store")
        self.assertEqual(len(self.journal_lines()), 1)
        status, headers, body = self.call("/l/unknown99")
        self.assertTrue(status.startswith("404"))
        self.assertIn(b"Unknown link", body)
        status, _, _ = self.call(f"/l/{link.code}", "HEAD")
        self.assertEqual(status, "302 Found")
        self.assertEqual(len(self.journal_lines()), 1)


class CountingTests(LinkTestCase):
    """Through the redirect and the journal: every listed crawler → no click; every real
    browser → exactly one click."""

    def test_crawlers_count_zero_and_each_browser_counts_once(self) -> None:
        from crawleruseragents import CRAWLER_USER_AGENTS_DATA

        from tests.links.test_bots import HUMAN_USER_AGENTS

        link = link_for(self.amy_m, "linkedin", item=make_item(self.org))
        crawlers = [ua for record in CRAWLER_USER_AGENTS_DATA for ua in record["instances"]]
        for user_agent in crawlers:
            self.visit(link.code, user_agent)
        for number, (_name, user_agent, _device) in enumerate(HUMAN_USER_AGENTS):
            self.visit(link.code, user_agent, ip=f"198.51.100.{number % 250}")
        self.assertEqual(ingest(), len(crawlers) + len(HUMAN_USER_AGENTS))
        day = LinkDay.objects.get(link=link)
        self.assertGreaterEqual(len(HUMAN_USER_AGENTS), 50)
        self.assertEqual(day.clicks, len(HUMAN_USER_AGENTS))
        self.assertEqual(day.bot_clicks, len(crawlers))


class IncrementalRollupTests(LinkTestCase):
    """The rollups ingestion adds up batch by batch equal a recount from the stored clicks, and
    equal what the journal lines say, whatever the batches and the lines read twice."""

    def setUp(self) -> None:
        super().setUp()
        self.links = [link_for(self.amy_m, "linkedin", item=make_item(self.org)) for _ in range(4)]
        self.globex_m = make_member(self.other_org)
        self.links.append(link_for(self.globex_m, "x", item=make_item(self.other_org)))
        self.doomed = link_for(self.globex_m, "linkedin", item=make_item(self.other_org))

    def random_lines(self, rng: random.Random, count: int, start: int) -> list[dict[str, Any]]:
        base = datetime(2026, 3, 9, 22, 0, tzinfo=UTC).timestamp()
        lines = []
        for number in range(start, start + count):
            link = rng.choice([*self.links, self.doomed])
            lines.append(
                {
                    "e": f"ev{number:08d}",
                    "l": link.pk,
                    # A wrong organisation in the line: the click counts for its link's.
                    "o": rng.choice([link.org_id, self.other_org.pk]),
                    # Three UTC days, across two midnights.
                    "t": base + rng.uniform(0, 50 * 3600),
                    "v": f"visitor{rng.randrange(12)}",
                    "u": rng.choice([CHROME, IPHONE_LINKEDIN, LINKEDIN_BOT, ""]),
                    "r": "",
                    "f": False,
                }
            )
        return lines

    def write(self, name: str, lines: list[dict[str, Any]]) -> None:
        with (Path(self.journal_dir) / name).open("a") as handle:
            handle.writelines(json.dumps(line) + "\n" for line in lines)

    def rollups(self) -> dict[tuple[int, date], tuple[int, int, int, int]]:
        return {
            (row.link_id, row.day): (row.org_id, row.clicks, row.bot_clicks, row.unique_visitors)
            for row in LinkDay.objects.all()
        }

    def expected(self, lines: list[dict[str, Any]]) -> dict[tuple[int, date], list[Any]]:
        counted: dict[tuple[int, date], list[Any]] = {}
        events = set()
        orgs = dict(TrackedLink.objects.values_list("pk", "org_id"))
        for line in lines:
            if line["e"] in events or line["l"] not in orgs:
                continue
            events.add(line["e"])
            key = (line["l"], datetime.fromtimestamp(line["t"], UTC).date())
            row = counted.setdefault(key, [orgs[line["l"]], 0, 0, set()])
            if line["u"] in (CHROME, IPHONE_LINKEDIN):
                row[1] += 1
                row[3].add(line["v"])
            else:
                row[2] += 1
        return counted

    def test_incremental_rollups_equal_a_recount_on_random_data(self) -> None:
        for seed in range(3):
            with self.subTest(seed=seed):
                Click.objects.all().delete()
                LinkDay.objects.all().delete()
                rng = random.Random(seed)
                written: list[dict[str, Any]] = []
                for number in range(5):
                    batch = self.random_lines(rng, rng.randrange(1, 120), 1000 * number)
                    # Lines read again: re-shipped within and across files and passes.
                    batch += rng.sample(written, min(len(written), rng.randrange(10)))
                    batch += rng.sample(batch, min(len(batch), 5))
                    rng.shuffle(batch)
                    half = len(batch) // 2
                    self.write(f"1-{seed}-a.jsonl", batch[:half])
                    self.write(f"1-{seed}-b.jsonl", batch[half:])
                    written += batch
                    if number == 2:
                        # Lines of a link deleted before ingestion count nowhere.
                        TrackedLink.objects.filter(pk=self.doomed.pk).delete()
                    # Small reads: one pass ingests a file in several transactions.
                    with mock.patch.object(ingest_module, "CHUNK", rng.choice([300, 2000, 10**6])):
                        ingest()
                incremental = self.rollups()
                expected = {
                    key: (org, clicks, bots, len(visitors))
                    for key, (org, clicks, bots, visitors) in self.expected(written).items()
                }
                self.assertEqual(incremental, expected)
                self.assertEqual(len({day for _, day in incremental}), 3)
                self.assertEqual(recount_days(), len(incremental))
                self.assertEqual(self.rollups(), incremental)
                self.assertEqual(
                    Click.objects.count(), sum(c + b for _, c, b, _ in incremental.values())
                )
                self.doomed = link_for(self.globex_m, "linkedin", item=make_item(self.other_org))

    def test_recount_from_a_day_leaves_earlier_days_alone(self) -> None:
        lines = self.random_lines(random.Random(7), 200, 0)
        self.write("1-x.jsonl", lines)
        ingest()
        first_day = min(day for _, day in self.rollups())
        LinkDay.objects.update(clicks=999)
        self.assertGreater(recount_days(first_day + timedelta(days=1)), 0)
        for (_, day), (_, clicks, _, _) in self.rollups().items():
            self.assertEqual(clicks == 999, day == first_day)

    def test_the_command_ingests_and_recounts(self) -> None:
        self.write("1-x.jsonl", self.random_lines(random.Random(3), 50, 0))
        out = StringIO()
        call_command("ingest-clicks", "--recount", stdout=out)
        self.assertRegex(out.getvalue(), r"^\d+ click\(s\) ingested\.\n\d+ daily rollup")
        with self.assertRaises(CommandError):
            call_command("ingest-clicks", "--since", "2026-01-01")
        with self.assertRaises(CommandError):
            call_command("ingest-clicks", "--recount", "--since", "yesterday")

    def test_redis_lines_read_again_after_a_crash_before_the_trim_count_once(self) -> None:
        import redis as redis_client

        url = "redis://127.0.0.1:6379/9"
        client = redis_client.Redis.from_url(url)
        client.delete(journal.REDIS_KEY)
        self.addCleanup(client.delete, journal.REDIS_KEY)
        lines = [json.dumps(line) for line in self.random_lines(random.Random(5), 40, 0)]
        with override_settings(CHORUS_CLICK_JOURNAL="redis", REDIS_URL=url):
            client.rpush(journal.REDIS_KEY, *lines)
            # Stored, then "killed" before the list was trimmed.
            killed = "return redis.error_reply('killed')"
            with (
                mock.patch.object(ingest_module, "_TRIM", killed),
                self.assertRaises(redis_client.ResponseError),
            ):
                ingest()
            first = Click.objects.count()
            self.assertGreater(first, 0)
            self.assertEqual(client.llen(journal.REDIS_KEY), 40)
            before = self.rollups()
            self.assertEqual(ingest(), 0)
            self.assertEqual(client.llen(journal.REDIS_KEY), 0)
            self.assertEqual(self.rollups(), before)
            self.assertEqual(Click.objects.count(), first)
            # Another process trimmed this batch already: newer lines are not trimmed with it.
            client.rpush(journal.REDIS_KEY, "a", "b", "c")
            trim = client.register_script(ingest_module._TRIM)
            self.assertEqual(trim(keys=[journal.REDIS_KEY], args=[2, "x", "b"]), 0)
            self.assertEqual(trim(keys=[journal.REDIS_KEY], args=[2, "a", "b"]), 1)
            self.assertEqual(client.lrange(journal.REDIS_KEY, 0, -1), [b"c"])


class RedirectReconnectTests(TransactionTestCase):
    """Outside a transaction, as in production: the lookup of a code not in cache runs on the
    driver's cursor without Django's health check, so a connection the database dropped must be
    replaced by the lookup itself."""

    def test_a_dropped_connection_is_replaced_and_the_code_still_resolves(self) -> None:
        from django.db import connection

        org = make_org()
        link = link_for(make_member(org), "x", item=make_item(org))
        redirect._cache.clear()
        connection.ensure_connection()
        real = connection.connection
        failures: list[str] = []

        class Dropped:
            """The driver's connection, its first cursor failing as after a server restart."""

            def cursor(self, *args: Any, **kwargs: Any) -> Any:
                if not failures:
                    failures.append("dropped")
                    raise connection.Database.OperationalError("server closed the connection")
                return real.cursor(*args, **kwargs)

            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

        connection.connection = Dropped()
        try:
            target = redirect.resolve(link.code)
        finally:
            if isinstance(connection.connection, Dropped):  # SQLite's in-memory test database
                connection.connection = real
        assert target is not None
        self.assertEqual((target.link_id, failures), (link.pk, ["dropped"]))
