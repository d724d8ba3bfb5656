"""The content hub through the API: sources, curation, content, captions, suggestions."""

from __future__ import annotations

import json

from chorus.content.models import ContentItem, Source, Suggestion
from tests.base import OrgTestCase
from tests.factory import (
    make_entry,
    make_item,
    make_source,
    make_suggestion,
    make_token,
    make_topic,
)


class ContentApiTests(OrgTestCase):
    def setUp(self) -> None:
        self.pm_token = make_token(self.paul_m)[1]
        self.amy_token = make_token(self.amy_m)[1]

    def call(self, method: str, path: str, token: str, body: dict | None = None):  # type: ignore[no-untyped-def,type-arg]
        kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        if body is not None:
            return getattr(self.client, method)(
                f"/api/v1{path}", json.dumps(body), content_type="application/json", **kwargs
            )
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs)

    def test_sources_and_curation(self) -> None:
        topic = make_topic(self.org)
        response = self.call(
            "post",
            "/sources",
            self.pm_token,
            {"url": "https://feeds.example.com/a.xml", "default_topics": [topic.pk]},
        )
        self.assertEqual(response.status_code, 201, response.content)
        source_id = response.json()["id"]
        self.assertEqual(response.json()["url"], "https://feeds.example.com/a.xml")
        self.assertEqual(
            [s["id"] for s in self.call("get", "/sources", self.pm_token).json()], [source_id]
        )
        source = Source.objects.get(pk=source_id)
        make_entry(source, title="From A")
        make_entry(make_source(self.org), title="From elsewhere")
        entries = self.call("get", f"/curation?source={source_id}", self.pm_token).json()["items"]
        self.assertEqual(
            [(e["title"], e["source"], e["status"]) for e in entries],
            [("From A", source_id, "new")],
        )
        self.assertIn("url", entries[0])

    def test_bad_source_input_is_refused_with_reasons(self) -> None:
        for body in (
            {"url": "file:///etc/passwd"},
            {"url": "https://x.example/f", "poll_minutes": 1},
            {"url": "https://x.example/f", "default_topics": [999999]},
            {},
        ):
            response = self.call("post", "/sources", self.pm_token, body)
            self.assertIn(response.status_code, (400, 422), body)
        self.assertFalse(Source.objects.exists())
        response = self.call("post", "/sources", self.pm_token, {"url": "ftp://x.example/f"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("url", response.json()["errors"])

    def test_content_create_get_patch(self) -> None:
        topic = make_topic(self.org)
        response = self.call(
            "post",
            "/content",
            self.pm_token,
            {
                "title": "Our new office in Lyon opens its doors",
                "url": "https://example.com/lyon?utm_source=x",
                "kind": "link",
                "topics": [topic.pk],
                "status": "published",
            },
        )
        self.assertEqual(response.status_code, 201, response.content)
        item = response.json()
        self.assertEqual(item["canonical_url"], "https://example.com/lyon")
        self.assertEqual(item["language"], "en")
        self.assertEqual(item["topics"], [topic.pk])
        response = self.call(
            "patch",
            f"/content/{item['id']}",
            self.pm_token,
            {"title": "Lyon office: open", "pinned": True},
        )
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["title"], response.json()["pinned"]), ("Lyon office: open", True)
        )
        self.assertEqual(response.json()["topics"], [topic.pk])  # untouched fields stay
        self.assertEqual(
            self.call("get", f"/content/{item['id']}", self.amy_token).json()["title"],
            "Lyon office: open",
        )
        response = self.call(
            "post",
            f"/content/{item['id']}/captions",
            self.pm_token,
            {"network": "x", "language": "en", "text": "x" * 300},
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual((response.json()["length"], response.json()["fits"]), (300, False))

    def test_content_bad_input_and_roles(self) -> None:
        response = self.call("post", "/content", self.pm_token, {"kind": "link", "title": "no url"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("url", response.json()["errors"])
        self.assertEqual(
            self.call(
                "post", "/content", self.amy_token, {"title": "x", "kind": "text"}
            ).status_code,
            403,
        )
        item = make_item(self.org)
        self.assertEqual(
            self.call(
                "patch", f"/content/{item.pk}", self.amy_token, {"title": "hacked"}
            ).status_code,
            403,
        )
        response = self.call("patch", f"/content/{item.pk}", self.pm_token, {"status": "sideways"})
        self.assertEqual(response.status_code, 400)
        item.refresh_from_db()
        self.assertEqual(item.status, ContentItem.Status.PUBLISHED)

    def test_library_listing_with_filters_for_ambassadors(self) -> None:
        make_item(self.org, "Visible")
        make_item(self.org, "Draft", status=ContentItem.Status.DRAFT)
        page = self.call("get", "/content", self.amy_token).json()
        self.assertEqual([i["title"] for i in page["items"]], ["Visible"])
        page = self.call("get", "/content?status=draft", self.pm_token).json()
        self.assertEqual([i["title"] for i in page["items"]], ["Draft"])

    def test_suggestions(self) -> None:
        response = self.call(
            "post",
            "/suggestions",
            self.amy_token,
            {"url": "https://news.example.com/a", "note": "nice"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["suggested_by"], "amy@acme.example")
        self.assertEqual(
            self.call("post", "/suggestions", self.amy_token, {"note": "empty"}).status_code, 400
        )
        suggestion = Suggestion.objects.get()
        self.assertEqual(
            self.call(
                "post", f"/suggestions/{suggestion.pk}/decline", self.amy_token, {"reason": "x"}
            ).status_code,
            403,
        )
        response = self.call(
            "post", f"/suggestions/{suggestion.pk}/decline", self.pm_token, {"reason": "Off topic"}
        )
        self.assertEqual(response.json()["decline_reason"], "Off topic")
        mine = self.call("get", "/suggestions", self.amy_token).json()
        self.assertEqual(
            [(s["status"], s["decline_reason"]) for s in mine], [("declined", "Off topic")]
        )
        other = make_suggestion(self.maya_m)
        self.assertEqual(
            self.call("post", f"/suggestions/{other.pk}/accept", self.pm_token).status_code, 201
        )
        self.assertEqual(
            self.call("post", f"/suggestions/{other.pk}/accept", self.pm_token).status_code, 409
        )

    def test_openapi_lists_the_content_endpoints(self) -> None:
        paths = self.client.get("/api/v1/openapi.json").json()["paths"]
        for path in (
            "/api/v1/sources",
            "/api/v1/curation",
            "/api/v1/content",
            "/api/v1/content/{contentitem_id}",
            "/api/v1/suggestions",
        ):
            self.assertIn(path, paths)
