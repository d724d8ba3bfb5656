"""Content hub pages and actions: library, items, captions, campaigns, topics, curation,
suggestions, CSV import; roles and bad input."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chorus.content.models import (
    Campaign,
    Caption,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Suggestion,
    Topic,
)
from chorus.orgs.models import AuditEntry
from tests.base import OrgTestCase
from tests.factory import (
    make_caption,
    make_entry,
    make_item,
    make_source,
    make_suggestion,
    make_topic,
)


class LibraryTests(OrgTestCase):
    url = "/o/acme/content/"

    def test_program_manager_sees_every_status_ambassador_only_live_items(self) -> None:
        live = make_item(self.org, "Live one")
        draft = make_item(self.org, "Draft one", status=ContentItem.Status.DRAFT)
        expired = make_item(self.org, "Expired one", expire_at=timezone.now() - timedelta(hours=1))
        later = make_item(self.org, "Later one", publish_at=timezone.now() + timedelta(days=1))
        make_item(self.other_org, "Globex secret")
        self.login(self.paul)
        page = self.client.get(self.url).content.decode()
        for item in (live, draft, expired, later):
            self.assertIn(item.title, page)
        self.assertNotIn("Globex secret", page)
        self.login(self.amy)
        page = self.client.get(self.url).content.decode()
        self.assertIn("Live one", page)
        for title in ("Draft one", "Expired one", "Later one", "Globex secret"):
            self.assertNotIn(title, page)
        self.assertEqual(self.client.get(f"/o/acme/content/{draft.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/o/acme/content/{live.pk}/").status_code, 200)

    def test_filters(self) -> None:
        topic = make_topic(self.org, "Cloud")
        cloud = make_item(self.org, "Cloud costs explained", language="en")
        cloud.topics.add(topic)
        make_caption(cloud, "mastodon")
        make_item(self.org, "Recrutement à Lyon", language="fr", kind=ContentItem.Kind.JOB)
        self.login(self.paul)
        cases = {
            "q=costs": ["Cloud costs explained"],
            f"topic={topic.pk}": ["Cloud costs explained"],
            "network=mastodon": ["Cloud costs explained"],
            "language=fr": ["Recrutement à Lyon"],
            "kind=job": ["Recrutement à Lyon"],
            "q=lyon recrutement": ["Recrutement à Lyon"],
        }
        for query, expected in cases.items():
            response = self.client.get(f"{self.url}?{query}", HTTP_HX_REQUEST="true")
            titles = [item.title for item in response.context["page"].object_list]
            self.assertEqual(titles, expected, query)

    def test_query_count_does_not_grow_with_the_items_shown(self) -> None:
        topic = make_topic(self.org)
        for _ in range(3):
            item = make_item(self.org)
            item.topics.add(topic)
            make_caption(item)
        self.login(self.paul)
        self.client.get(self.url)
        with self.assertNumQueries(10) as few:  # 9 for the page, 1 for the notification badge
            self.client.get(self.url)
        for _ in range(25):
            item = make_item(self.org, campaign=None)
            item.topics.add(topic)
            make_caption(item)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(self.url)

    def test_bulk_actions_for_program_managers_only(self) -> None:
        items = [make_item(self.org, status=ContentItem.Status.DRAFT) for _ in range(3)]
        foreign = make_item(self.other_org, status=ContentItem.Status.DRAFT)
        ids = [item.pk for item in items[:2]] + [foreign.pk]
        self.login(self.amy)
        self.assertEqual(
            self.client.post(self.url, {"action": "publish", "items": ids}).status_code, 403
        )
        self.login(self.paul)
        self.client.post(self.url, {"action": "publish", "items": ids})
        statuses = {item.pk: item.status for item in ContentItem.objects.all()}
        self.assertEqual(statuses[items[0].pk], "published")
        self.assertEqual(statuses[items[2].pk], "draft")
        self.assertEqual(statuses[foreign.pk], "draft")
        self.client.post(self.url, {"action": "delete", "items": [items[2].pk]})
        self.assertFalse(ContentItem.objects.filter(pk=items[2].pk).exists())
        self.client.post(self.url, {"action": "explode", "items": [items[0].pk]})
        self.assertTrue(ContentItem.objects.filter(pk=items[0].pk).exists())


class ItemTests(OrgTestCase):
    def test_create_canonicalises_the_url_detects_language_and_audits(self) -> None:
        topic = make_topic(self.org)
        self.login(self.paul)
        response = self.client.post(
            "/o/acme/content/new/",
            {
                "kind": "link",
                "url": "https://Example.com/post?utm_source=x&b=2&a=1#top",
                "title": "Notre nouvelle usine ouvre ses portes à Nantes",
                "summary": "Une belle journée pour toute l'équipe.",
                "topics": [topic.pk],
                "status": "published",
            },
        )
        item = ContentItem.objects.get()
        self.assertRedirects(response, f"/o/acme/content/{item.pk}/", fetch_redirect_response=False)
        self.assertEqual(item.canonical_url, "https://example.com/post?a=1&b=2")
        self.assertEqual(item.language, "fr")
        self.assertFalse(item.language_locked)
        self.assertEqual(list(item.topics.all()), [topic])
        self.assertTrue(
            AuditEntry.objects.filter(action="content.create", target_id=str(item.pk)).exists()
        )

    def test_chosen_language_is_kept(self) -> None:
        self.login(self.paul)
        self.client.post(
            "/o/acme/content/new/",
            {
                "kind": "text",
                "title": "Bonjour tout le monde, voici nos nouvelles",
                "language": "en",
                "status": "draft",
            },
        )
        item = ContentItem.objects.get()
        self.assertEqual((item.language, item.language_locked), ("en", True))

    def test_bad_input_changes_nothing(self) -> None:
        self.login(self.paul)
        for data in (
            {"kind": "link", "title": "No link", "status": "draft"},
            {"kind": "text", "status": "draft"},
            {"kind": "link", "url": "javascript:alert(1)", "status": "draft"},
            {"kind": "text", "title": "x", "status": "sideways"},
            {
                "kind": "text",
                "title": "x",
                "status": "draft",
                "publish_at": "2026-05-02T10:00",
                "expire_at": "2026-05-01T10:00",
            },
            {"kind": "text", "title": "x", "status": "draft", "campaign": 999999},
        ):
            self.assertEqual(self.client.post("/o/acme/content/new/", data).status_code, 400, data)
        self.assertFalse(ContentItem.objects.exists())

    def test_ambassador_cannot_create_or_edit(self) -> None:
        item = make_item(self.org)
        self.login(self.amy)
        self.assertEqual(self.client.get("/o/acme/content/new/").status_code, 403)
        self.assertEqual(self.client.get(f"/o/acme/content/{item.pk}/edit/").status_code, 403)
        # The role is checked first: the same 403 whether or not the id exists.
        draft = make_item(self.org, status=ContentItem.Status.DRAFT)
        self.assertEqual(self.client.get(f"/o/acme/content/{draft.pk}/edit/").status_code, 403)
        self.assertEqual(self.client.get("/o/acme/content/999999/edit/").status_code, 403)

    def test_edit_records_what_changed(self) -> None:
        item = make_item(self.org, "Old title", kind="text", url="")
        self.login(self.paul)
        self.client.post(
            f"/o/acme/content/{item.pk}/edit/",
            {"kind": "text", "title": "New title", "status": "published"},
        )
        item.refresh_from_db()
        self.assertEqual(item.title, "New title")
        entry = AuditEntry.objects.get(action="content.change")
        self.assertEqual(entry.changes["title"], ["Old title", "New title"])


class CaptionTests(OrgTestCase):
    def test_captions_show_their_length_and_flag_what_does_not_fit(self) -> None:
        item = make_item(self.org)
        self.login(self.paul)
        long_text = "Long " * 70  # 350 characters: too long for X, fine for LinkedIn
        self.client.post(
            f"/o/acme/content/{item.pk}/captions/",
            {"network": "x", "language": "en", "text": long_text},
        )
        self.client.post(
            f"/o/acme/content/{item.pk}/captions/",
            {"network": "linkedin", "language": "en", "text": long_text},
        )
        self.assertEqual(Caption.objects.filter(item=item).count(), 2)
        page = self.client.get(f"/o/acme/content/{item.pk}/").content.decode()
        self.assertIn("Too long for X", page)
        self.assertNotIn("Too long for LinkedIn", page)

    def test_live_counter_uses_each_networks_rules(self) -> None:
        self.login(self.amy)
        url = "https://example.com/" + "a" * 200
        response = self.client.post(
            "/o/acme/captions/check/", {"network": "x", "text": f"Hi {url}"}
        )
        checks = response.context["checks"]
        self.assertEqual(checks["x"].length, 3 + 23)
        self.assertEqual(checks["mastodon"].length, 3 + 23)
        self.assertEqual(checks["bluesky"].length, 3 + len(url))
        self.assertContains(response, '<span class="network">LinkedIn</span>', html=False)
        self.assertEqual(
            self.client.post("/o/acme/captions/check/", {"network": "myspace"}).status_code, 400
        )

    def test_bad_caption_input_is_refused(self) -> None:
        item = make_item(self.org)
        self.login(self.paul)
        response = self.client.post(
            f"/o/acme/content/{item.pk}/captions/",
            {"network": "myspace", "language": "en", "text": "x"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(Caption.objects.exists())

    def test_edit_and_delete_a_caption(self) -> None:
        caption = make_caption(make_item(self.org), "x", "first")
        self.login(self.paul)
        self.client.post(
            f"/o/acme/captions/{caption.pk}/", {"network": "x", "language": "en", "text": "second"}
        )
        caption.refresh_from_db()
        self.assertEqual(caption.text, "second")
        self.assertEqual(self.client.get("/o/acme/captions/999999/").status_code, 404)
        self.login(self.amy)
        self.assertEqual(self.client.get(f"/o/acme/captions/{caption.pk}/").status_code, 403)
        self.login(self.paul)
        self.client.post(f"/o/acme/captions/{caption.pk}/delete/")
        self.assertFalse(Caption.objects.exists())


class CampaignTests(OrgTestCase):
    def test_create_a_campaign_with_objective_targets_and_default_kpis(self) -> None:
        self.login(self.paul)
        response = self.client.post(
            "/o/acme/campaigns/new/",
            {
                "name": "Hiring spring",
                "slug": "hiring-spring",
                "objective": "recruiting",
                "starts_on": "2026-03-01",
                "ends_on": "2026-04-30",
                "target_teams": [self.team.pk],
                "target_networks": ["linkedin", "x"],
                "priority": 4,
                "cta_url": "https://jobs.example.com",
            },
        )
        self.assertRedirects(response, "/o/acme/campaigns/")
        campaign = Campaign.objects.get()
        self.assertEqual(campaign.kpis, ["clicks", "applications", "shares"])
        self.assertEqual(list(campaign.target_teams.all()), [self.team])
        self.assertEqual(campaign.target_networks, ["linkedin", "x"])

    def test_bad_campaigns_are_refused(self) -> None:
        self.login(self.paul)
        base = {"name": "C", "slug": "c", "objective": "awareness", "priority": 3}
        for change in (
            {"objective": "fame"},
            {"priority": 9},
            {"starts_on": "2026-05-01", "ends_on": "2026-04-01"},
            {"target_teams": [self.other_team.pk]},
            {"target_networks": ["myspace"]},
        ):
            self.assertEqual(
                self.client.post("/o/acme/campaigns/new/", {**base, **change}).status_code,
                400,
                change,
            )
        self.assertFalse(Campaign.objects.exists())

    def test_the_slug_is_made_from_the_name_when_left_empty(self) -> None:
        self.login(self.paul)
        base = {"objective": "awareness", "priority": 3, "slug": ""}
        for name in ("Été à Lyon", "Été à Lyon!"):
            response = self.client.post("/o/acme/campaigns/new/", {**base, "name": name})
            self.assertRedirects(response, "/o/acme/campaigns/")
        self.assertEqual(
            sorted(Campaign.objects.values_list("slug", flat=True)), ["ete-a-lyon", "ete-a-lyon-2"]
        )
        # A slug given by hand is kept, and refused when another campaign has it.
        response = self.client.post(
            "/o/acme/campaigns/new/", {**base, "name": "X", "slug": "ete-a-lyon"}
        )
        self.assertEqual(response.status_code, 400)

    def test_team_manager_gets_403(self) -> None:
        self.login(self.maya)
        self.assertEqual(self.client.get("/o/acme/campaigns/").status_code, 403)


class TopicTests(OrgTestCase):
    def test_create_rename_delete_topics_and_personas(self) -> None:
        self.login(self.paul)
        self.client.post("/o/acme/topics/", {"name": "Cloud", "subscription": "open"})
        self.assertEqual(
            self.client.post(
                "/o/acme/topics/", {"name": "cloud", "subscription": "open"}
            ).status_code,
            400,
        )
        topic = Topic.objects.get()
        self.client.post(
            f"/o/acme/topics/{topic.pk}/", {"name": "Cloud & AI", "subscription": "assigned"}
        )
        topic.refresh_from_db()
        self.assertEqual((topic.name, topic.subscription), ("Cloud & AI", "assigned"))
        self.client.post(f"/o/acme/topics/{topic.pk}/", {"delete": "1"})
        self.assertFalse(Topic.objects.exists())
        self.client.post("/o/acme/personas/", {"name": "CIOs"})
        self.assertEqual(self.org.personas.count(), 1)


class CurationTests(OrgTestCase):
    def test_promote_creates_a_prefilled_draft_with_the_source_topics(self) -> None:
        topic = make_topic(self.org)
        source = make_source(self.org)
        source.default_topics.add(topic)
        entry = make_entry(source, title="A great article", summary="Its summary")
        self.login(self.paul)
        response = self.client.post(f"/o/acme/curation/{entry.pk}/promote/")
        item = ContentItem.objects.get()
        self.assertRedirects(
            response, f"/o/acme/content/{item.pk}/edit/", fetch_redirect_response=False
        )
        self.assertEqual(
            (item.title, item.summary, item.status), ("A great article", "Its summary", "draft")
        )
        self.assertEqual(list(item.topics.all()), [topic])
        entry.refresh_from_db()
        self.assertEqual((entry.status, entry.content_item), ("promoted", item))
        # Promoting twice does not duplicate.
        self.client.post(f"/o/acme/curation/{entry.pk}/promote/")
        self.assertEqual(ContentItem.objects.count(), 1)

    def test_dismiss_and_inbox_filters(self) -> None:
        source = make_source(self.org)
        other = make_source(self.org)
        entry = make_entry(source, title="Dismiss me")
        make_entry(other, title="Keep me")
        self.login(self.paul)
        self.client.post(f"/o/acme/curation/{entry.pk}/dismiss/")
        entry.refresh_from_db()
        self.assertEqual(entry.status, CuratedEntry.Status.DISMISSED)
        page = self.client.get("/o/acme/curation/").content.decode()
        self.assertIn("Keep me", page)
        self.assertNotIn("Dismiss me", page)
        page = self.client.get(
            f"/o/acme/curation/?source={source.pk}&status=dismissed"
        ).content.decode()
        self.assertIn("Dismiss me", page)

    def test_sources_page_shows_errors(self) -> None:
        make_source(
            self.org, name="Broken feed", last_error="HTTP 404 from the server", failure_count=2
        )
        self.login(self.paul)
        self.assertContains(self.client.get("/o/acme/sources/"), "HTTP 404 from the server")

    def test_source_form_refuses_bad_input(self) -> None:
        self.login(self.paul)
        for data in (
            {"name": "x", "url": "not a url", "daily_cap": 3, "poll_minutes": 60},
            {"name": "x", "url": "ftp://example.com/feed", "daily_cap": 3, "poll_minutes": 60},
            {"name": "x", "url": "https://example.com/feed", "daily_cap": 3, "poll_minutes": 1},
        ):
            self.assertEqual(self.client.post("/o/acme/sources/", data).status_code, 400, data)
        self.assertFalse(self.org.sources.exists())


class SuggestionTests(OrgTestCase):
    def test_ambassador_suggests_and_sees_the_decline_reason(self) -> None:
        self.login(self.amy)
        self.client.post(
            "/o/acme/suggestions/", {"url": "https://news.example.com/award", "note": "We won!"}
        )
        suggestion = Suggestion.objects.get()
        self.assertEqual(suggestion.suggested_by, self.amy_m)
        self.login(self.paul)
        self.assertContains(
            self.client.get("/o/acme/suggestions/"), "https://news.example.com/award"
        )
        self.client.post(
            f"/o/acme/suggestions/{suggestion.pk}/decline/", {"reason": "Already shared last week"}
        )
        self.login(self.amy)
        page = self.client.get("/o/acme/suggestions/")
        self.assertContains(page, "Already shared last week")

    def test_accept_credits_the_suggester(self) -> None:
        suggestion = make_suggestion(
            self.amy_m, url="https://news.example.com/x", text="Our new office"
        )
        self.login(self.paul)
        self.client.post(f"/o/acme/suggestions/{suggestion.pk}/accept/")
        item = ContentItem.objects.get()
        self.assertEqual(item.suggested_by, self.amy_m)
        self.assertEqual(item.url, "https://news.example.com/x")
        suggestion.refresh_from_db()
        self.assertEqual(suggestion.status, "accepted")
        # Deciding twice is refused.
        self.client.post(f"/o/acme/suggestions/{suggestion.pk}/decline/", {"reason": "no"})
        suggestion.refresh_from_db()
        self.assertEqual(suggestion.status, "accepted")

    def test_empty_suggestion_and_other_peoples_suggestions(self) -> None:
        self.login(self.amy)
        self.assertEqual(
            self.client.post("/o/acme/suggestions/", {"note": "nothing"}).status_code, 400
        )
        self.assertFalse(Suggestion.objects.exists())
        other = make_suggestion(self.maya_m)
        self.assertNotContains(self.client.get("/o/acme/suggestions/"), other.url)
        self.assertEqual(
            self.client.post(f"/o/acme/suggestions/{other.pk}/accept/").status_code, 403
        )


class ImportTests(OrgTestCase):
    def upload(self, text: str, name: str = "items.csv"):  # type: ignore[no-untyped-def]
        self.login(self.paul)
        # The worker imports after commit (Huey runs tasks inline in tests).
        with self.captureOnCommitCallbacks(execute=True):
            return self.client.post(
                "/o/acme/content/import/", {"file": SimpleUploadedFile(name, text.encode())}
            )

    def test_good_rows_import_bad_rows_are_reported(self) -> None:
        make_topic(self.org, "Cloud")
        csv_text = (
            "title,url,kind,summary,language,topics,campaign,status\n"
            "Good one,https://example.com/1,link,Nice,en,Cloud,,published\n"
            "Bad topic,https://example.com/2,link,,en,Unknown,,draft\n"
            "Bad kind,https://example.com/3,hologram,,en,,,draft\n"
            ",,,,,,,\n"
            "Bad url,not-a-url,link,,en,,,draft\n"
            "Text only,,text,Hello,,,,draft\n"
            "Bad campaign,https://example.com/4,link,,en,,nope,draft\n"
        )
        response = self.upload(csv_text)
        job = ImportJob.objects.get()
        self.assertRedirects(response, f"/o/acme/content/import/{job.pk}/")
        self.assertEqual((job.status, job.created_count, job.rows_total), ("done", 2, 6))
        self.assertEqual([line for line, _ in job.refused], [3, 4, 6, 8])
        self.assertEqual(job.rows, [])
        page = self.client.get(response["Location"])
        self.assertContains(page, "2 items created.")
        self.assertContains(page, "Unknown topic(s): Unknown.")
        self.assertNotContains(page, "hx-trigger")  # finished: the page stops polling
        self.assertEqual(
            set(ContentItem.objects.values_list("title", flat=True)), {"Good one", "Text only"}
        )
        self.assertEqual(
            [t.name for t in ContentItem.objects.get(title="Good one").topics.all()], ["Cloud"]
        )

    def test_unreadable_files_import_nothing(self) -> None:
        for content in ("just some words\nno columns", ""):
            response = self.upload(content)
            self.assertEqual(response.status_code, 400)
        self.login(self.paul)
        response = self.client.post(
            "/o/acme/content/import/", {"file": SimpleUploadedFile("x.csv", "é".encode("latin-1"))}
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ContentItem.objects.exists())
        self.assertFalse(ImportJob.objects.exists())


class PreviewTests(OrgTestCase):
    PAGE = (
        b'<html lang="fr"><head><meta property="og:title" content="Nouvelle usine">'
        b'<meta property="og:description" content="Une usine neuve pour toute la r\xc3\xa9gion.">'
        b'<meta property="og:site_name" content="Acme Presse">'
        b'<meta property="og:image" content="/i.png">'
        b"</head><body></body></html>"
    )

    def create(self, url: str):  # type: ignore[no-untyped-def]
        self.login(self.paul)
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                "/o/acme/content/new/", {"kind": "link", "url": url, "status": "draft"}
            )
        return ContentItem.objects.get()

    def test_adding_a_link_fills_the_item_from_the_page(self) -> None:
        import io

        from PIL import Image

        from tests.servers import local_server

        png = io.BytesIO()
        Image.new("RGB", (3, 3)).save(png, "PNG")
        with (
            local_server() as server,
            self.settings(CHORUS_ALLOW_PRIVATE_URLS=True, MEDIA_ROOT=self.tmp()),
        ):
            server.respond("/article", self.PAGE)
            server.respond("/i.png", png.getvalue(), "image/png")
            item = self.create(server.url("/article"))
            self.assertEqual(item.preview_status, "done")
            self.assertEqual(
                (item.title, item.site_name, item.language), ("Nouvelle usine", "Acme Presse", "fr")
            )
            self.assertEqual(item.summary, "Une usine neuve pour toute la région.")
            self.assertTrue(item.image.name.startswith("content/"))
            self.assertEqual(self.client.get(item.image.url).status_code, 200)

    def test_a_failed_preview_is_shown_and_the_item_stays_editable(self) -> None:
        from tests.servers import local_server

        with local_server() as server, self.settings(CHORUS_ALLOW_PRIVATE_URLS=True):
            item = self.create(server.url("/gone"))
        self.assertEqual(item.preview_status, "failed")
        self.assertIn("404", item.preview_error)
        page = self.client.get(f"/o/acme/content/{item.pk}/")
        self.assertContains(page, "The link preview failed")
        self.assertEqual(self.client.get(f"/o/acme/content/{item.pk}/edit/").status_code, 200)

    def test_private_addresses_are_never_fetched_by_default(self) -> None:
        from tests.servers import local_server

        with local_server() as server:
            item = self.create(server.url("/article"))
            self.assertEqual(server.requests, [])
        self.assertEqual(item.preview_status, "failed")

    def tmp(self) -> str:
        import tempfile

        return tempfile.mkdtemp()
