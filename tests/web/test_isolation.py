"""Every route that takes an organisation or an object id answers 404 to outsiders.

The routes are read from the URL configuration, so a new route is covered without
editing this file. Its parameters must follow the convention: `org` for the
organisation's slug, `<model>_id` for an object (e.g. `team_id` for a Team); a route
with a parameter that follows neither fails here until it is named properly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.urls import URLPattern, URLResolver, get_resolver

from chorus.chat.models import ChatChannel
from chorus.content.models import ContentItem
from chorus.governance.models import Disclosure, ReviewScope, Rule
from chorus.orgs.actions import audit
from chorus.orgs.invitations import do_create_invitation
from chorus.sharing.models import Review
from chorus.sso.actions import do_add_domain
from chorus.webhooks.actions import do_create_endpoint
from chorus.webhooks.events import emit
from tests.base import OrgTestCase
from tests.factory import make_share, make_token, populate_org

# Public by design, reached through unguessable values rather than ids: uploaded files
# (random names), tracked-link redirects (random codes) and the website tracking script
# (the organisation's public site key).
PUBLIC_ROUTES = {
    "media",
    "link_redirect",
    "tracking_script",
    "digest_unsubscribe",
    # Invitation links carry a random token (only its hash is stored).
    "invitation_accept",
    "invitation_request_new",
    # The sign-in page's "Continue to <provider>" step, for anyone about to sign in.
    "sso_start",
    # Our SAML SP metadata, which the company's IdP fetches: only our entity ID and ACS URL.
    "sso_saml_metadata",
}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def iter_routes(
    patterns: list[Any] | None = None, prefix: str = ""
) -> Iterator[tuple[str, list[str]]]:
    """Yield (route template, parameter names) for every URL pattern."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from iter_routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            # Third-party pages (allauth's e-mail and password-reset links) take signed,
            # unguessable keys rather than object ids; our views and the API are walked.
            ours = entry.callback.__module__.startswith(("chorus.", "ninja."))
            ours = ours and entry.name not in PUBLIC_ROUTES
            # SCIM authenticates the directory by its organisation's token, not a person:
            # another organisation's token is 401 there (tests/scim/test_scim_api.py).
            ours = ours and not route.startswith("scim/")
            if ours:
                names = [match.group("name") for match in PARAMETER.finditer(route)]
                yield route, names


def model_for(parameter: str) -> tuple[type[models.Model], str] | None:
    """`team_id` → (Team, "pk"); `trackedlink_code` → (TrackedLink, "code")."""
    model_name, _, field = parameter.partition("_")
    for model in apps.get_models():
        if model._meta.model_name == model_name and model.__module__.startswith("chorus."):
            if field == "id":
                return model, "pk"
            if field and model._meta.get_field(field).unique:
                return model, field
    return None


def _sample(schema: dict[str, Any], document: dict[str, Any]) -> Any:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _sample(document["components"]["schemas"][name], document)
    if "anyOf" in schema:
        return _sample(schema["anyOf"][0], document)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _sample(prop, document)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    return {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


def sample_body(path: str, method: str = "post") -> dict[str, Any]:
    """The smallest JSON body the API's OpenAPI document accepts for `method` on `path`."""
    from chorus.api.api import api

    document = api.get_openapi_schema()
    for template, operations in document["paths"].items():
        if re.fullmatch(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)), path):
            body = operations.get(method, {}).get("requestBody")
            if body:
                return _sample(body["content"]["application/json"]["schema"], document)  # type: ignore[no-any-return]
    return {}


class OutsiderIsolationTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # One object of every kind in Acme, owned by Alice (Acme's admin) where it has an owner.
        cls.acme_token, cls.alice_raw_token = make_token(cls.alice_m)
        audit(cls.org, cls.alice, "test.entry", cls.team)
        populate_org(cls.org, cls.amy_m)
        do_create_invitation(cls.org, "invited@acme.example", "ambassador", send=False)
        do_add_domain(cls.alice_m, "acme.example")
        do_create_endpoint(cls.alice_m, url="https://hooks.acme.example/", events=["figures.daily"])
        emit(cls.org, "figures.daily", {"day": "2026-01-01"})
        ChatChannel.objects.create(
            org=cls.org, tool="teams", name="Marketing", target={"url": "https://acme.example/hook"}
        )
        # Governance: a rule, a disclosure, a review scope and a post held for review.
        Rule.objects.create(org=cls.org, phrase="guaranteed", reason="No promises.")
        Disclosure.objects.create(org=cls.org, language="en", text="#employee")
        ReviewScope.objects.create(org=cls.org, membership=cls.amy_m, first_shares=3)
        held = make_share(
            cls.amy_m, ContentItem.objects.filter(org=cls.org).first(), status="review"
        )
        Review.objects.create(org=cls.org, share=held, reason="first shares", submitted_text="t")
        cls.oscar_token = make_token(cls.oscar_m)[1]

    def victim_object(self, model: type[models.Model]) -> models.Model:
        field_names = {field.name for field in model._meta.get_fields()}
        self.assertIn(
            "org",
            field_names,
            f"{model.__name__} has no `org`: every row belongs to an organisation",
        )
        found = model._default_manager.filter(org=self.org).order_by("pk").first()  # type: ignore[misc]
        self.assertIsNotNone(
            found, f"Add an Acme {model.__name__} to OutsiderIsolationTests.setUpTestData"
        )
        return found  # type: ignore[return-value]

    def build(self, route: str, names: list[str], org_slug: str) -> str:
        values: dict[str, str] = {}
        for name in names:
            if name == "org":
                values[name] = org_slug
                continue
            found = model_for(name)
            self.assertIsNotNone(
                found,
                f"Route {route!r}: name the parameter {name!r} `org`, `<model>_id` "
                "or `<model>_<unique field>`",
            )
            model, field = found  # type: ignore[misc]
            values[name] = str(getattr(self.victim_object(model), field))
        path = PARAMETER.sub(lambda match: values[match.group("name")], route)
        return "/" + path.lstrip("^").rstrip("$")

    def request(self, method: str, path: str, token: str | None) -> int:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        if token and method in ("post", "patch", "put"):
            # A valid body, so the API's input validation cannot answer before the lookup.
            body = sample_body(path, method)
            return getattr(self.client, method)(
                path, body, content_type="application/json", **headers
            ).status_code
        return getattr(self.client, method)(path, **headers).status_code

    def assert_outsider_gets_404(self, path: str, api: bool) -> None:
        self.client.force_login(self.oscar)
        token = self.oscar_token if api else None
        methods = ("get", "post", "delete", "patch", "put") if api else ("get", "post")
        statuses = {method: self.request(method, path, token) for method in methods}
        self.assertTrue(
            set(statuses.values()) <= {404, 405} and 404 in statuses.values(),
            f"An outsider reached {path}: {statuses}",
        )

    def assert_member_reaches(self, path: str, api: bool) -> None:
        """The same URL works for Acme's admin, so the 404 above is not a broken URL."""
        self.client.force_login(self.alice)
        token = self.alice_raw_token if api else None
        with transaction.atomic():
            status = self.request("get", path, token)
            if status == 405:
                status = self.request("post", path, token)
            for method in ("delete", "patch", "put"):
                if status == 405 and api:
                    status = self.request(method, path, token)
            transaction.set_rollback(True)
        self.assertNotEqual(status, 404, f"{path} is 404 for Acme's own admin too")

    def test_every_route_with_an_org_or_object_id_is_404_for_outsiders(self) -> None:
        checked = 0
        for route, names in iter_routes():
            if not names:
                continue
            api = route.startswith("api/")
            with self.subTest(route=route):
                # 1. The victim's organisation in the URL.
                victim_path = self.build(route, names, self.org.slug)
                self.assert_outsider_gets_404(victim_path, api)
                self.assert_member_reaches(victim_path, api)
                # 2. The outsider's own organisation, with the victim's object ids.
                if any(name != "org" for name in names) and "org" in names:
                    own_path = self.build(route, names, self.other_org.slug)
                    self.assert_outsider_gets_404(own_path, api)
                checked += 1
        self.assertGreaterEqual(checked, 10, "the URL walk found suspiciously few routes")

    def test_the_walk_sees_api_and_page_routes(self) -> None:
        routes = [route for route, names in iter_routes() if names]
        self.assertTrue(any(route.startswith("api/v1/") for route in routes))
        self.assertTrue(any(route.startswith("o/") for route in routes))
