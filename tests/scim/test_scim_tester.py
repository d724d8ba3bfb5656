"""scim2-tester, the RFC 7643/7644 conformance checker, run against a real server.

The server is Django's live server on 127.0.0.1 (a thread of this test, stopped by it),
reached over HTTP by scim2-client's httpx2 engine with an organisation's bearer token. Every
check the tester runs must pass. The ones it skips, because ServiceProviderConfig declares
the feature unsupported or the server answers 501 for it, are listed in SKIPPED_ON_PURPOSE
and must be the only skips:

- ``search_with_attributes`` for Users and Groups: POST /.search across resource types is
  not supported (501); filters are given to GET /Users and GET /Groups.
"""

from __future__ import annotations

from typing import Any

from django.test import LiveServerTestCase
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from chorus.orgs.models import Membership, Role
from chorus.scim.tokens import do_create_scim_token
from tests.factory import make_member, make_org, make_user

# DEVIATION (a SHOULD not followed), ERROR and CRITICAL fail.
PASSED = (Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED)
SKIPPED_ON_PURPOSE = {("search_with_attributes", "User"), ("search_with_attributes", "Group")}


def _describe(result: Any) -> str:
    return f"{result.title} [{result.resource_type}]: {result.reason}"


class ScimTesterTests(LiveServerTestCase):
    host = "127.0.0.1"

    def test_every_check_passes(self) -> None:
        org = make_org("Acme", "acme")
        make_member(org, Role.ORG_ADMIN, make_user("admin@acme.example"))
        _token, raw = do_create_scim_token(org, None, "conformance")
        base = f"{self.live_server_url}/scim/v2/acme/"
        with Client(base_url=base, headers={"Authorization": f"Bearer {raw}"}, timeout=30) as http:
            results = check_server(SyncSCIMClient(http))

        failed = [_describe(r) for r in results if r.status not in PASSED]
        self.maxDiff = None
        self.assertEqual(failed, [])
        skipped = {(r.title, r.resource_type) for r in results if r.status == Status.SKIPPED}
        self.assertEqual(skipped, SKIPPED_ON_PURPOSE)
        titles = {r.title for r in results if r.status == Status.SUCCESS}
        for expected in (
            "service_provider_config_endpoint",
            "query_all_resource_types",
            "query_all_schemas",
            "object_creation",
            "object_query",
            "object_replacement",
            "object_deletion",
            "check_add_attribute",
            "check_remove_attribute",
            "check_replace_attribute",
            "random_url",
        ):
            self.assertIn(expected, titles)
        # The tester cleaned up after itself: what it created was deleted, i.e. deactivated.
        self.assertFalse(
            Membership.objects.filter(org=org, is_active=True)
            .exclude(user__email="admin@acme.example")
            .exists()
        )
