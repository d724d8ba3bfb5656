"""Where tracked links may point: no member below programme manager mints a link to a site
the organisation does not allow (the open redirect an outside probe found)."""

from __future__ import annotations

import json

from django.test import Client

from chorus.content.models import ContentItem
from chorus.links.actions import LinkNotAllowed, link_for, link_settings
from chorus.links.models import TrackedLink
from chorus.orgs.models import AuditEntry
from tests.base import OrgTestCase
from tests.factory import make_item, make_token

PHISH = {"network": "x", "url": "https://evil.example/phish"}


class LinkDestinationTests(OrgTestCase):
    def post_link(self, token: str, body: dict[str, object]):  # type: ignore[no-untyped-def]
        return self.client.post(
            "/api/v1/links",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    def allow(self, domains: str, fallback_url: str = "") -> None:
        options = link_settings(self.org)
        options.allowed_domains = domains
        options.fallback_url = fallback_url
        options.save()

    def test_the_probe_an_ambassador_cannot_link_to_a_foreign_site(self) -> None:
        amy = make_token(self.amy_m)[1]
        response = self.post_link(amy, PHISH)
        self.assertEqual(response.status_code, 403, response.content)
        detail = response.json()["detail"]
        self.assertIn("evil.example", detail)
        self.assertIn("Ask a programme manager", detail)
        self.assertFalse(TrackedLink.objects.exists())
        # Nor a team manager, nor an ambassador asking for themself by e-mail.
        maya = make_token(self.maya_m)[1]
        self.assertEqual(self.post_link(maya, PHISH).status_code, 403)
        mine = {**PHISH, "ambassador": "AMY@acme.example"}
        self.assertEqual(self.post_link(amy, mine).status_code, 403)
        self.assertFalse(TrackedLink.objects.exists())
        self.assertEqual(self.client.get("/l/anything").status_code, 404)

    def test_a_programme_manager_may_link_anywhere_also_for_an_ambassador(self) -> None:
        paul = make_token(self.paul_m)[1]
        response = self.post_link(paul, {**PHISH, "ambassador": "amy@acme.example"})
        self.assertEqual(response.status_code, 201, response.content)
        link = TrackedLink.objects.get()
        self.assertEqual((link.ambassador, link.url), (self.amy_m, PHISH["url"]))
        # The link now exists, but Amy still may not ask for it herself.
        amy = make_token(self.amy_m)[1]
        self.assertEqual(self.post_link(amy, PHISH).status_code, 403)
        self.assertEqual(self.post_link(make_token(self.alice_m)[1], PHISH).status_code, 201)

    def test_allowed_domains_cover_their_subdomains_only(self) -> None:
        self.allow("example.com\nacme.example.org")
        amy = make_token(self.amy_m)[1]
        for url in (
            "https://example.com/a",
            "https://blog.example.com/a?x=1",
            "http://deep.www.example.com./b",
            "https://EXAMPLE.COM:8443/c",
            "https://acme.example.org/",
        ):
            response = self.post_link(amy, {"network": "x", "url": url})
            self.assertEqual(response.status_code, 201, url)
        for url in (
            "https://badexample.com/",  # a suffix, not a subdomain
            "https://example.com.evil.example/",
            "https://example.org/",  # the parent of acme.example.org
            "https://example.com@evil.example/",  # user info: the browser goes to evil.example
            "https://evil.example\\@example.com/",  # a browser reads the backslash as a slash
            "https://evil.example/?next=https://example.com/",
        ):
            response = self.post_link(amy, {"network": "x", "url": url})
            self.assertEqual(response.status_code, 403, url)
        self.assertEqual(TrackedLink.objects.count(), 5)

    def test_the_organisations_own_site_and_content_are_allowed_by_default(self) -> None:
        amy = make_token(self.amy_m)[1]
        self.allow("", fallback_url="https://www.acme.example/")
        ok = self.post_link(amy, {"network": "x", "url": "https://news.www.acme.example/p"})
        self.assertEqual(ok.status_code, 201, ok.content)
        self.assertEqual(
            self.post_link(amy, {"network": "x", "url": "https://acme.example/"}).status_code, 403
        )
        # A published item's exact URL, even on a domain not listed; a draft's is not.
        published = make_item(self.org, url="https://press.example.net/acme-wins")
        draft = make_item(
            self.org, url="https://draft.example.net/idea", status=ContentItem.Status.DRAFT
        )
        self.assertEqual(
            self.post_link(amy, {"network": "x", "url": published.url}).status_code, 201
        )
        self.assertEqual(self.post_link(amy, {"network": "x", "url": draft.url}).status_code, 403)
        # By content id, as before.
        self.assertEqual(
            self.post_link(amy, {"network": "linkedin", "content": published.pk}).status_code, 201
        )

    def test_the_rule_lives_in_the_action(self) -> None:
        with self.assertRaises(LinkNotAllowed):
            link_for(self.amy_m, "x", url=PHISH["url"])
        with self.assertRaises(LinkNotAllowed):
            link_for(self.amy_m, "x", url=PHISH["url"], by=self.maya_m)
        link = link_for(self.amy_m, "x", url=PHISH["url"], by=self.paul_m)
        self.assertEqual(link.ambassador, self.amy_m)

    def test_existing_links_keep_working(self) -> None:
        link = link_for(self.amy_m, "x", url=PHISH["url"], by=self.paul_m)
        response = Client().get(f"/l/{link.code}")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("https://evil.example/phish?"))


class LinkSettingsPageTests(OrgTestCase):
    url = "/o/acme/links/settings/"

    def form(self, domains: str) -> dict[str, str]:
        return {
            "fallback_url": "",
            "utm_medium": "employee_advocacy",
            "short_domain": "",
            "attribution_days": "30",
            "allowed_domains": domains,
        }

    def test_a_programme_manager_lists_domains_audited(self) -> None:
        self.login(self.paul)
        response = self.client.post(
            self.url, self.form(" Example.com \n*.blog.example.org\n\nbücher.example\nexample.com")
        )
        self.assertEqual(response.status_code, 302, response.content)
        options = link_settings(self.org)
        self.assertEqual(
            options.allowed_domains, "example.com\nblog.example.org\nxn--bcher-kva.example"
        )
        self.assertTrue(options.allows_host("shop.xn--bcher-kva.example"))
        entry = AuditEntry.objects.get(action="links.settings")
        self.assertIn("allowed_domains", entry.changes)

    def test_bad_domains_are_refused_and_change_nothing(self) -> None:
        self.login(self.paul)
        for domains in ("com", "https://example.com/", "exa mple.com", "ex_ample.com", "a..b"):
            response = self.client.post(self.url, self.form(domains))
            self.assertEqual(response.status_code, 400, domains)
            self.assertContains(response, "is not a domain name", status_code=400)
        self.assertEqual(link_settings(self.org).allowed_domains, "")

    def test_roles_and_outsiders(self) -> None:
        self.login(self.amy)
        self.assertEqual(self.client.post(self.url, self.form("evil.example")).status_code, 403)
        self.login(self.oscar)
        self.assertEqual(self.client.post(self.url, self.form("evil.example")).status_code, 404)
        self.assertEqual(link_settings(self.org).allowed_domains, "")
