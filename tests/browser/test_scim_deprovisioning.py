"""Deprovisioning in real Chromium: an admin makes a SCIM token on the settings page, the
directory deactivates a signed-in ambassador through /scim/v2/, and the ambassador is signed
out and cannot sign back in; reactivated, they can."""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import Client

from chorus.orgs.models import Membership
from tests.browser.conftest import DEMO_PASSWORD, login

pytestmark = pytest.mark.browser


def test_a_deprovisioned_ambassador_is_signed_out_and_stays_out(demo: str, new_page: Any) -> None:
    admin = new_page(viewport={"width": 1280, "height": 800}, locale="en-US")
    login(admin, demo, "admin@acme.example")
    admin.goto(f"{demo}/o/acme/settings/")
    admin.get_by_role("main").get_by_role("link", name="Provisioning (SCIM)").click()
    admin.get_by_label("Token name").fill("Okta")
    admin.get_by_role("button", name="Create a token").click()
    token = admin.locator("#new-token").input_value()
    assert token.startswith("chorus_scim_")

    ambassador = new_page(viewport={"width": 390, "height": 844}, locale="en-US")
    login(ambassador, demo, "ambassador@acme.example")
    ambassador.goto(f"{demo}/o/acme/")
    assert "/accounts/login/" not in ambassador.url

    member = Membership.objects.get(org__slug="acme", user__email="ambassador@acme.example")
    with Client(
        base_url=f"{demo}/scim/v2/acme/", headers={"Authorization": f"Bearer {token}"}
    ) as scim:
        found = scim.get("Users", params={"filter": 'userName eq "ambassador@acme.example"'})
        assert found.json()["Resources"][0]["id"] == str(member.pk)
        off = {"op": "replace", "path": "active", "value": False}
        body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [off]}
        assert scim.patch(f"Users/{member.pk}", json=body).status_code == 200

        ambassador.reload()
        assert "/accounts/login/" in ambassador.url
        ambassador.fill("input[name=login]", "ambassador@acme.example")
        ambassador.fill("input[name=password]", DEMO_PASSWORD)
        ambassador.locator("main form button[type=submit]").last.click()
        ambassador.wait_for_load_state()
        assert "/accounts/login/" in ambassador.url or "inactive" in ambassador.url
        ambassador.goto(f"{demo}/o/acme/")
        assert "/accounts/login/" in ambassador.url  # still signed out

        on = {"op": "replace", "path": "active", "value": True}
        body["Operations"] = [on]
        assert scim.patch(f"Users/{member.pk}", json=body).status_code == 200
    login(ambassador, demo, "ambassador@acme.example")
    ambassador.goto(f"{demo}/o/acme/")
    assert "/accounts/login/" not in ambassador.url
