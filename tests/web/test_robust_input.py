"""Bad input from outside gets a clear 4xx and changes nothing (issue #13, items 5, 6 and 8).

Each probe of the issue is replayed as it was sent: huge integers in ids and pages, a CSV cell
beyond the csv module's limit, non-object JSON bodies, values the document allows or refuses.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase

from chorus.api.api import api
from chorus.content.importing import run_job
from chorus.content.models import ContentItem, ImportJob, Source
from chorus.lib.ids import MAX_ID, parse_id, parse_ids
from tests.base import OrgTestCase
from tests.factory import make_entry, make_item, make_source, make_token, make_topic

HUGE = 2**63  # one past the largest bigint
HUGER = 10**30


class ParseIdTests(SimpleTestCase):
    def test_only_positive_ids_the_database_can_hold(self) -> None:
        self.assertEqual(parse_id("42"), 42)
        self.assertEqual(parse_id(" 7 "), 7)
        self.assertEqual(parse_id(42), 42)
        self.assertEqual(parse_id(str(MAX_ID)), MAX_ID)
        for bad in (str(HUGE), HUGE, "0", 0, "-1", -1, "²", "1e3", "", None, "abc", True, 1.0):
            self.assertIsNone(parse_id(bad), bad)
        self.assertEqual(parse_ids(["3", str(HUGE), "x", "4"]), [3, 4])


class ApiProbeTests(OrgTestCase):
    def setUp(self) -> None:
        self.pm_token = make_token(self.paul_m)[1]
        self.amy_token = make_token(self.amy_m)[1]
        self.item = make_item(self.org)

    def call(self, method: str, path: str, body: Any = None, *, token: str = "", raw: str = ""):  # type: ignore[no-untyped-def]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token or self.pm_token}"}
        if body is not None or raw:
            return getattr(self.client, method)(
                f"/api/v1{path}",
                raw or json.dumps(body),
                content_type="application/json",
                **headers,
            )
        return getattr(self.client, method)(f"/api/v1{path}", **headers)

    def assert_refused(self, response: Any, status: int, field: str) -> None:
        """The one error shape: a detail, and messages under the field at fault."""
        self.assertEqual(response.status_code, status, response.content)
        body = response.json()
        self.assertIsInstance(body["detail"], str)
        self.assertIn(field, body["errors"], body)
        self.assertTrue(all(isinstance(m, str) for m in body["errors"][field]))

    def test_status_filters_take_their_listed_values_only(self) -> None:
        # A NUL character reached PostgreSQL, which refuses it in a string: 500 before.
        for path in ("/suggestions?status=a%00b", "/curation?status=%00", "/shares?status=nope"):
            self.assert_refused(self.call("get", path), 422, "status")
        self.assertEqual(self.call("get", "/suggestions?status=pending").status_code, 200)
        self.assertEqual(self.call("get", "/links/ab%00cd").status_code, 404)

    def test_huge_integers_in_queries_and_paths_are_422_not_500(self) -> None:
        for path, field in (
            (f"/content?page={HUGE}", "page"),
            (f"/content?page_size={HUGE}", "page_size"),
            (f"/content?topic={HUGE}", "topic"),
            (f"/content?campaign={HUGER}", "campaign"),
            ("/content?topic=0", "topic"),
            (f"/curation?source={HUGE}", "source"),
            (f"/curation?page={HUGE}", "page"),
            (f"/content/{HUGE}", "contentitem_id"),
            (f"/sources/{HUGE}", "source_id"),
            (f"/teams/{HUGE}", "team_id"),
            (f"/members/{HUGE}", "membership_id"),
            (f"/feed?limit={HUGE}", "limit"),
        ):
            with self.subTest(path=path):
                self.assert_refused(self.call("get", path), 422, field)
        # The largest id is an id like any other: not found.
        self.assertEqual(self.call("get", f"/content/{MAX_ID}").status_code, 404)
        self.assertEqual(self.call("get", f"/content?topic={MAX_ID}").json()["count"], 0)

    def test_huge_integers_in_bodies_are_422_and_create_nothing(self) -> None:
        self.assert_refused(
            self.call("post", "/sources", {"url": "https://x.example/f", "default_topics": [HUGE]}),
            422,
            "default_topics.0",
        )
        self.assertFalse(Source.objects.exists())
        self.assert_refused(
            self.call("post", "/content", {"title": "x", "kind": "text", "topics": [HUGE]}),
            422,
            "topics.0",
        )
        self.assert_refused(
            self.call("patch", f"/content/{self.item.pk}", {"topics": [HUGE]}), 422, "topics.0"
        )
        self.assert_refused(
            self.call("patch", f"/content/{self.item.pk}", {"campaign": HUGE}), 422, "campaign"
        )
        self.assert_refused(
            self.call("post", "/links", {"network": "linkedin", "content": HUGE}), 422, "content"
        )
        self.assert_refused(
            self.call(
                "post",
                "/shares",
                {"content": HUGE, "network": "linkedin", "text": "hi"},
                token=self.amy_token,
            ),
            422,
            "content",
        )
        self.assertEqual(ContentItem.objects.count(), 1)
        self.assertEqual(list(self.item.topics.all()), [])

    def test_non_object_json_bodies_are_refused(self) -> None:
        for raw in ("[null]", "null", "1", '"title"', "[]"):
            with self.subTest(body=raw):
                self.assert_refused(
                    self.call("patch", f"/content/{self.item.pk}", raw=raw), 400, "__all__"
                )
        self.assert_refused(self.call("post", "/content", raw="{not json"), 400, "__all__")
        self.item.refresh_from_db()
        self.assertEqual(self.item.title, ContentItem.objects.get().title)
        self.assertEqual(ContentItem.objects.count(), 1)

    def test_share_when_says_what_it_accepts(self) -> None:
        refused = self.call(
            "post",
            "/shares",
            {"content": self.item.pk, "network": "linkedin", "text": "My words", "when": ""},
            token=self.amy_token,
        )
        self.assert_refused(refused, 422, "when")
        operation = api.get_openapi_schema()["paths"]["/api/v1/shares"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        share_in = api.get_openapi_schema()["components"]["schemas"][ref.rsplit("/", 1)[1]]
        self.assertEqual(share_in["properties"]["when"]["enum"], ["now", "good", "at"])
        self.assertIn("linkedin", share_in["properties"]["network"]["enum"])

    def test_field_refusals_keep_the_same_shape(self) -> None:
        self.assert_refused(
            self.call(
                "post",
                "/shares",
                {"content": self.item.pk, "network": "myspace", "text": "x"},
                token=self.amy_token,
            ),
            400,
            "network",
        )
        self.assert_refused(self.call("post", "/links", {"network": "linkedin"}), 400, "url")
        self.assert_refused(
            self.call("post", "/sources", {"url": "file:///etc/passwd"}), 400, "url"
        )

    def test_the_document_lists_every_error_an_operation_can_give(self) -> None:
        document = api.get_openapi_schema()
        invalid = {"$ref": "#/components/schemas/InvalidOut"}
        self.assertEqual(
            set(document["components"]["schemas"]["InvalidOut"]["required"]), {"detail", "errors"}
        )
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                label = f"{method.upper()} {path}"
                responses = {str(code): answer for code, answer in operation["responses"].items()}
                schema_of = {
                    code: answer.get("content", {}).get("application/json", {}).get("schema")
                    for code, answer in responses.items()
                }
                if operation.get("requestBody"):
                    self.assertEqual(schema_of.get("400"), invalid, label)
                if operation.get("requestBody") or operation.get("parameters"):
                    self.assertEqual(schema_of.get("422"), invalid, label)
                if "400" in schema_of:
                    self.assertEqual(schema_of["400"], invalid, label)
                if operation.get("security"):
                    self.assertIn("401", responses, label)
        self.assertIn(
            "403", {str(c) for c in document["paths"]["/api/v1/teams"]["get"]["responses"]}
        )
        self.assertEqual(self.call("get", "/teams", token=self.amy_token).status_code, 403)


class WebProbeTests(OrgTestCase):
    def setUp(self) -> None:
        self.login(self.paul)

    def test_curation_ignores_a_source_that_cannot_be_an_id(self) -> None:
        entry = make_entry(make_source(self.org), title="Fresh entry")
        for value in (str(HUGE), str(HUGER), "²", "-3", "abc"):
            with self.subTest(source=value):
                response = self.client.get(f"/o/acme/curation/?source={value}")
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, entry.title)
        response = self.client.get(f"/o/acme/curation/?source={entry.source_id}")
        self.assertContains(response, entry.title)
        self.assertContains(response, f'value="{entry.source_id}" selected')

    def test_library_and_its_bulk_actions_ignore_huge_ids(self) -> None:
        item = make_item(self.org, status="draft")
        for query in (f"page={HUGE}", f"topic={HUGE}", f"campaign={HUGER}"):
            with self.subTest(query=query):
                self.assertEqual(self.client.get(f"/o/acme/content/?{query}").status_code, 200)
        response = self.client.post(
            "/o/acme/content/", {"action": "publish", "items": [str(HUGE), str(item.pk)]}
        )
        self.assertEqual(response.status_code, 302)
        item.refresh_from_db()
        self.assertEqual(item.status, "published")

    def test_forms_refuse_huge_topic_ids(self) -> None:
        topic = make_topic(self.org)
        response = self.client.post(
            "/o/acme/content/new/",
            {"kind": "text", "title": "Hello", "status": "draft", "topics": [str(HUGE)]},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("topics", response.context["form"].errors)
        response = self.client.post(
            "/o/acme/sources/",
            {
                "name": "Feed",
                "url": "https://x.example/f",
                "default_topics": [str(topic.pk), str(HUGER)],
                "daily_cap": 3,
                "poll_minutes": 60,
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertFalse(ContentItem.objects.exists())
        self.assertFalse(Source.objects.exists())


class CsvImportTests(OrgTestCase):
    def upload(self, content: bytes | str, name: str = "items.csv", *, run: bool = True):  # type: ignore[no-untyped-def]
        self.login(self.paul)
        data = content.encode() if isinstance(content, str) else content
        with self.captureOnCommitCallbacks(execute=run):
            return self.client.post(
                "/o/acme/content/import/", {"file": SimpleUploadedFile(name, data)}
            )

    def test_a_cell_beyond_the_csv_limit_names_its_line_and_column(self) -> None:
        long_cell = "x" * 131_073
        text = (
            "title,url,summary,status\n"
            "First,https://example.com/1,Fine,draft\n"
            f'Second,https://example.com/2,"{long_cell}",draft\n'
        )
        self.assertLess(len(text.encode()), 2 * 1024 * 1024)
        response = self.upload(text)
        self.assertEqual(response.status_code, 400)
        self.assertContains(
            response,
            "Line 3, column summary: the cell is longer than 131,072 characters.",
            status_code=400,
        )
        self.assertFalse(ContentItem.objects.exists())
        self.assertFalse(ImportJob.objects.exists())
        # Unquoted, in the first row, in the first column: still named.
        response = self.upload(f"title,url\n{long_cell},https://example.com/1\n")
        self.assertContains(response, "Line 2, column title", status_code=400)
        self.assertFalse(ImportJob.objects.exists())

    def test_bad_files_change_nothing(self) -> None:
        for content, message in (
            ("just some words\nno columns", "The first line must name the columns"),
            ("é,title\n".encode("latin-1"), "The file is not UTF-8 text."),
            (b"title,url\n" + b"a" * (2 * 1024 * 1024), "The file is larger than 2 MB."),
            ("title,url\na\rb,https://example.com/\n", "Line 2 cannot be read as CSV"),
        ):
            with self.subTest(message=message):
                response = self.upload(content)
                self.assertContains(response, message, status_code=400)
        self.assertFalse(ImportJob.objects.exists())
        self.assertFalse(ContentItem.objects.exists())

    def test_the_worker_imports_and_the_page_follows_it(self) -> None:
        make_topic(self.org, "Cloud")
        rows = "".join(f"Item {n},https://example.com/{n},Cloud,draft\n" for n in range(120))
        response = self.upload(
            "title,url,topics,status\n" + rows + "Bad,https://example.com/x,Nope,draft\n",
            run=False,
        )
        job = ImportJob.objects.get()
        self.assertRedirects(response, f"/o/acme/content/import/{job.pk}/")
        self.assertEqual(
            (job.status, job.rows_total, job.created_by), ("pending", 121, self.paul_m)
        )
        self.assertFalse(ContentItem.objects.exists())  # nothing yet: the worker does it
        # While it waits or runs, the page polls a fragment of itself.
        page = self.client.get(response["Location"])
        self.assertContains(page, 'hx-trigger="every 1s"')
        self.assertContains(page, "0 of 121 rows")
        fragment = self.client.get(response["Location"], HTTP_HX_REQUEST="true")
        self.assertNotContains(fragment, "<html")
        self.assertContains(fragment, "every 1s")

        run_job(job.pk)
        run_job(job.pk)  # claimed once: a second run imports nothing more
        job.refresh_from_db()
        self.assertEqual(job.status, "done")
        self.assertEqual((job.created_count, job.rows_done), (120, 121))
        self.assertEqual(job.refused, [[122, "Unknown topic(s): Nope."]])
        self.assertEqual(ContentItem.objects.count(), 120)
        page = self.client.get(response["Location"])
        self.assertNotContains(page, "hx-trigger")
        self.assertContains(page, "120 items created.")
        self.assertContains(page, "1 row refused.")

    def test_import_pages_are_for_program_managers_of_the_org(self) -> None:
        job = ImportJob.objects.create(org=self.org, created_by=self.paul_m, filename="a.csv")
        self.login(self.amy)
        self.assertEqual(self.client.get(f"/o/acme/content/import/{job.pk}/").status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.get(f"/o/acme/content/import/{job.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/o/globex/content/import/{job.pk}/").status_code, 404)
        self.login(self.paul)
        self.assertEqual(self.client.get(f"/o/acme/content/import/{job.pk}/").status_code, 200)
        self.assertEqual(self.client.post(f"/o/acme/content/import/{job.pk}/").status_code, 405)
