"""On a phone: an invited person opens the e-mail's link, chooses a password, lands on the
opt-in page and joins; the link then says it was used."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "locale": "en-US"}


def test_invited_person_chooses_a_password_and_joins_on_a_phone(demo: str, new_page: Any) -> None:
    from chorus.orgs.invitations import do_create_invitation
    from chorus.orgs.models import Membership, Organization
    from chorus.program.models import Participation

    org = Organization.objects.get(slug="acme")
    admin = Membership.objects.filter(org=org, role="org_admin").first()
    _invitation, url = do_create_invitation(
        org, "zoe@acme.example", "ambassador", invited_by=admin, send=False, programme=True
    )
    member = Membership.objects.get(org=org, user__email="zoe@acme.example")
    Participation.objects.create(org=org, membership=member, status="invited")
    link = demo + urlsplit(url).path

    page = new_page(**PHONE)
    page.goto(link)
    assert "zoe@acme.example" in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("input[name=new_password1]").fill("zoe-picks-a-long-passphrase")
    page.get_by_label("Password (again)", exact=False).fill("zoe-picks-a-long-passphrase")
    page.get_by_role("button", name="Choose this password and join").click()
    page.wait_for_url("**/o/acme/programme/join/")
    page.get_by_label("I have read the above and I want to take part.").check()
    page.get_by_role("button", name="Join the programme").click()
    assert "Welcome to the programme" in page.locator(".messages").inner_text()
    assert Participation.objects.get(membership=member).status == "active"

    other = new_page(**PHONE)
    other.goto(link)
    assert "already been used" in other.locator("main").inner_text()
    assert other.evaluate("document.documentElement.scrollWidth") <= 390
