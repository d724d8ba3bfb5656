"""Every action a page offers is also an operation of the JSON API (/api/v1/).

The test walks the URL configuration, keeps the views that accept a state-changing method
(POST, PUT, PATCH, DELETE: read from their `require_http_methods` / `require_POST`
declaration, which every page must make), and finds each one in `PARITY` (the API
operations doing the same, which must exist in the OpenAPI document) or in `EXCEPTIONS`
(with the reason why an API operation makes no sense). A new page that changes something
fails here until its operation is written or its exception argued.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from django.test import SimpleTestCase
from django.urls import URLPattern, URLResolver, get_resolver

from chorus.api.api import api

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

# URL name → the API operations ("METHOD /path" under /api/v1) that do what the page does.
PARITY: dict[str, list[str]] = {
    # Account and organisation
    "profile": ["PATCH /me/account"],
    "org_settings_organisation": ["PATCH /organization"],
    "members": ["POST /members"],
    "member_detail": ["PATCH /members/{membership_id}"],
    "member_remove": ["DELETE /members/{membership_id}"],
    "member_erase": ["POST /members/{membership_id}/erase"],
    "invitation_resend": ["POST /invitations/{invitation_id}/resend"],
    "invitation_revoke": ["POST /invitations/{invitation_id}/revoke"],
    "teams": ["POST /teams"],
    "team_detail": ["PATCH /teams/{team_id}"],
    "team_delete": ["DELETE /teams/{team_id}"],
    # Content hub
    "library": ["POST /content/bulk"],
    "item_create": ["POST /content"],
    "item_import": ["POST /content/import"],
    "item_edit": ["PATCH /content/{contentitem_id}"],
    "item_refresh_preview": ["POST /content/{contentitem_id}/preview"],
    "caption_add": ["POST /content/{contentitem_id}/captions"],
    "caption_check": ["POST /captions/check"],
    "caption_edit": ["PATCH /captions/{caption_id}"],
    "caption_delete": ["DELETE /captions/{caption_id}"],
    "campaign_create": ["POST /campaigns"],
    "campaign_edit": ["PATCH /campaigns/{campaign_id}"],
    "topics": ["POST /topics"],
    "topic_edit": ["PATCH /topics/{topic_id}", "DELETE /topics/{topic_id}"],
    "personas": ["POST /personas"],
    "persona_edit": ["PATCH /personas/{persona_id}", "DELETE /personas/{persona_id}"],
    "sources": ["POST /sources"],
    "source_edit": ["PATCH /sources/{source_id}", "DELETE /sources/{source_id}"],
    "source_poll": ["POST /sources/{source_id}/poll"],
    "entry_promote": ["POST /curation/{curatedentry_id}/promote"],
    "entry_dismiss": ["POST /curation/{curatedentry_id}/dismiss"],
    "suggestions": ["POST /suggestions"],
    "suggestion_accept": ["POST /suggestions/{suggestion_id}/accept"],
    "suggestion_decline": ["POST /suggestions/{suggestion_id}/decline"],
    # Links
    "link_settings": ["PATCH /links/settings", "POST /links/settings/conversion-key"],
    "item_link": ["POST /links"],
    # Programme
    "programme": ["POST /cohorts", "POST /programme/invitations"],
    "programme_join": ["POST /programme/join", "POST /programme/decline"],
    "programme_leave": ["POST /programme/leave"],
    "resource_new": ["POST /resources"],
    "resource": ["POST /resources/{resource_id}/read"],
    "resource_edit": ["PATCH /resources/{resource_id}"],
    "workshops": ["POST /workshops"],
    "workshop": [
        "POST /workshops/{workshop_id}/signup",
        "DELETE /workshops/{workshop_id}/signup",
        "PUT /workshops/{workshop_id}/attendance",
    ],
    "ask": ["POST /questions"],
    "question": ["POST /questions/{question_id}/answer"],
    # Feed
    "my_profile": ["PATCH /me/profile"],
    "not_for_me": ["POST /feed/{contentitem_id}/not-for-me"],
    # Sharing
    "connection_disconnect": ["DELETE /connections/{connection_id}"],
    "share_action": [
        "POST /shares/{share_id}/cancel",
        "PATCH /shares/{share_id}",
        "POST /shares/{share_id}/move",
        "POST /shares/{share_id}/settle",
    ],
    "share_intent": ["POST /shares/{share_id}/posted"],
    "compose": ["POST /shares"],
    "compose_check": ["POST /shares/check"],
    "sharing_policy": ["PATCH /policy"],
    # Notifications
    "digest_settings": ["PATCH /digest/settings"],
    "notifications_read_all": ["POST /notifications/read"],
    "notification_open": ["POST /notifications/{notification_id}/read"],
    # Analytics
    "analytics_settings": ["PATCH /dashboard/settings"],
    "health_thresholds": ["PATCH /health/thresholds"],
    # Engagement
    "onboarding_nudge": ["POST /onboarding/{membership_id}/nudge"],
    "leaderboard_visibility": ["PUT /leaderboard/visibility"],
    "points_rules": ["PATCH /points/rules"],
    "challenge_new": ["POST /challenges"],
    "challenge_edit": ["PATCH /challenges/{challenge_id}"],
    # Coaching
    "coach": ["POST /coaching/people/{membership_id}/notes"],
    "coaching_note": ["POST /coaching/notes/{coachingnote_id}/replies"],
    "workshop_follow_up": ["POST /workshops/{workshop_id}/follow-up"],
    # Webhooks
    "webhooks": ["POST /webhooks"],
    "webhook_detail": ["PATCH /webhooks/{endpoint_id}"],
    "webhook_toggle": ["PATCH /webhooks/{endpoint_id}"],
    "webhook_delete": ["DELETE /webhooks/{endpoint_id}"],
    "webhook_replay": ["POST /webhooks/{endpoint_id}/messages/{message_id}/replay"],
}

NO_ACCOUNT = "for someone without an account yet: the link's secret is the credential"
SIGN_IN = (
    "sign-in configuration: a bearer token must not be able to reroute the whole "
    "organisation's sign-in (a leaked token would become everyone's account); changed signed in"
)
NETWORK = (
    "connecting a network happens in the person's browser, on the network's consent page "
    "(OAuth) or with an app password the person types; disconnecting is DELETE /connections/{id}"
)
TOKENS = (
    "a token neither creates nor revokes tokens (a leaked one could renew itself); "
    "tokens are managed signed in"
)

TODO = "TODO: not yet in the API (an operation could do it; to be written)"

# URL name → why no API operation does what the page does. Reviewed: keep each reason true.
EXCEPTIONS: dict[str, str] = {
    "set_language": "the language of a browser session (a cookie); an account's is "
    "PATCH /me/account",
    "setup": "first-run set-up of an empty installation: no member and no token exist yet",
    "operator_organisations": "the operator's page: site staff, not a member; a token is "
    "one member's in one organisation",
    "operator_domains": "the operator's page: site staff, not a member; a token is one "
    "member's in one organisation",
    "invitation_accept": NO_ACCOUNT,
    "invitation_request_new": NO_ACCOUNT,
    "digest_unsubscribe": "the one-click unsubscribe link of a digest e-mail (RFC 8058); "
    "with a token the digest is changed by PATCH /me/profile",
    "sso_settings": SIGN_IN,
    "sso_test": SIGN_IN,
    "sso_saml_refresh": SIGN_IN,
    "sso_domain_remove": SIGN_IN,
    "scim_settings": TOKENS,
    "scim_token_revoke": TOKENS,
    "token_create": TOKENS,
    "token_revoke": TOKENS,
    "connect_linkedin": NETWORK,
    "connect_x": NETWORK,
    "connect_mastodon": NETWORK,
    "connect_bluesky": NETWORK,
    "chat_connect": "connecting a chat workspace happens on the chat tool's consent page "
    "(OAuth), in the admin's browser",
    "chat_interactions": "the chat tool's own callback for its buttons, authenticated by the "
    "tool's request signature, not by a member's token",
    # The chat pages arrived last (Slack, Teams): their operations are still to write.
    "chat_channels_pick": TODO,
    "chat_channel_add": TODO,
    "chat_channel_remove": TODO,
    "chat_channel_test": TODO,
    "chat_disconnect": TODO,
    "digest_channel": TODO,
    "engage": TODO,
    "engagement_task_close": TODO,
    "engagement_tasks": TODO,
    "governance": TODO,
    "image_add": TODO,
    "image_change": TODO,
    "not_for_me_undo": TODO,
    "review_decide": TODO,
}

# Views that are not Chorus pages, by module: walked, so that a new one is seen, not mapped.
OTHER_MODULES = {
    "allauth.": "allauth's sign-in, sign-up, password and e-mail pages: signing in is what "
    "gives a token its owner",
    "django.contrib.admin.": "the Django admin, for the operator (off unless enabled)",
    "namespace:api": "the API itself",
    "chorus.scim.views": "SCIM 2.0, itself an API, for the company's identity provider",
}


def walk(patterns: list[Any] | None = None, owner: str = "") -> Iterator[tuple[str, URLPattern]]:
    """(module of the URL configuration including it, pattern) for every route."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            # An included module, or a namespace for a list of patterns (the API's).
            module = getattr(entry.urlconf_module, "__name__", None)
            if module is None:  # a list of patterns: the API's has a namespace
                module = f"namespace:{entry.namespace}" if entry.namespace else owner
            yield from walk(entry.url_patterns, owner if owner.startswith("allauth") else module)
        elif isinstance(entry, URLPattern):
            yield owner, entry


def declared_methods(view: Callable[..., Any]) -> set[str] | None:
    """The methods a view accepts, as its decorators or its class declare; None if neither."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {
            method.upper() for method in view_class.http_method_names if hasattr(view_class, method)
        }
    found: Callable[..., Any] | None = view
    while found is not None:
        # django.views.decorators.http.require_http_methods keeps the list in its closure.
        code = getattr(found, "__code__", None)
        for name, cell in zip(
            code.co_freevars if code else (), found.__closure__ or (), strict=False
        ):
            if name == "request_method_list":
                return {method.upper() for method in cell.cell_contents}
        found = getattr(found, "__wrapped__", None)
    return None


def page_views() -> dict[str, set[str]]:
    """URL name → methods, for every Chorus page (not the API, SCIM or third parties)."""
    pages: dict[str, set[str]] = {}
    for owner, pattern in walk():
        view_class = getattr(pattern.callback, "view_class", None)
        module = (view_class or pattern.callback).__module__
        if owner.startswith(("allauth", "namespace:")):
            module = owner  # allauth also routes to Django's generic views
        if module.startswith(tuple(OTHER_MODULES)):
            continue
        assert module.startswith("chorus."), f"{pattern.pattern}: a view of {module}"
        assert pattern.name, f"{pattern.pattern}: give the route a name"
        methods = declared_methods(pattern.callback)
        assert methods is not None, (
            f"{pattern.name} ({module}) declares no methods: decorate it with "
            "require_http_methods([...]), require_GET or require_POST"
        )
        pages[pattern.name] = methods
    return pages


def api_operations() -> dict[str, dict[str, Any]]:
    """ "METHOD /path" → its OpenAPI operation."""
    document = api.get_openapi_schema()
    operations = {}
    for path, by_method in document["paths"].items():
        for method, operation in by_method.items():
            operations[f"{method.upper()} {path.removeprefix('/api/v1')}"] = operation
    return operations


class ApiParityTests(SimpleTestCase):
    def test_every_state_changing_page_has_its_api_operation_or_a_reason(self) -> None:
        pages = page_views()
        changing = {name for name, methods in pages.items() if methods & CHANGING}
        operations = api_operations()
        missing = []
        for name in sorted(changing):
            if name in EXCEPTIONS:
                self.assertNotIn(name, PARITY, f"{name}: both mapped and excepted")
                continue
            if name not in PARITY:
                missing.append(f"{name}: no API operation listed, and no exception")
                continue
            for wanted in PARITY[name]:
                if wanted not in operations:
                    missing.append(f"{name}: {wanted} is not in the OpenAPI document")
        self.assertEqual(missing, [], "\n".join(missing))

    def test_the_lists_name_only_existing_state_changing_pages(self) -> None:
        pages = page_views()
        stale = [
            name
            for name in [*PARITY, *EXCEPTIONS]
            if name not in pages or not pages[name] & CHANGING
        ]
        self.assertEqual(stale, [], "listed, but no such state-changing page")

    def test_every_exception_gives_a_reason(self) -> None:
        for name, reason in EXCEPTIONS.items():
            self.assertGreater(len(reason.split()), 5, name)

    def test_the_walk_reads_the_declared_methods(self) -> None:
        # The detection itself, on views whose methods are known from their code.
        pages = page_views()
        self.assertEqual(pages["caption_delete"], {"POST"})
        self.assertEqual(pages["topics"], {"GET", "POST"})
        self.assertEqual(pages["dashboard"], {"GET"})
        self.assertEqual(pages["link_redirect"], {"GET", "HEAD"})

    def test_mapped_operations_are_documented_with_a_tag_and_an_id(self) -> None:
        operations = api_operations()
        for wanted in PARITY.values():
            for key in wanted:
                operation = operations.get(key)
                if operation is None:
                    continue  # reported by the first test
                self.assertTrue(operation.get("operationId"), key)
                self.assertTrue(operation.get("tags"), key)
                self.assertTrue(re.match(r"^\S", operation.get("summary", "")), key)

    def test_schema_names_are_unique_across_the_routers(self) -> None:
        # The OpenAPI document keys schemas by class name: a second `CheckOut` would silently
        # replace the first, and one operation would document the other's answer.
        from importlib import import_module

        from ninja import Schema

        from chorus.api.api import ROUTERS

        seen: dict[str, str] = {}
        for module_name in ("chorus.api.api", *ROUTERS):
            for name, value in vars(import_module(module_name)).items():
                if (
                    isinstance(value, type)
                    and issubclass(value, Schema)
                    and value.__module__ == module_name
                ):
                    self.assertNotIn(name, seen, f"{name} in {module_name} and {seen.get(name)}")
                    seen[name] = module_name
