"""SAML 2.0 single sign-on in Chromium through a real IdP (auth0's samlp on 127.0.0.1): the
admin reads our SP addresses and gives the IdP's metadata URL on the settings page; a
newcomer types their e-mail on the sign-in page, signs in at the IdP, and arrives just in
time with the mapped team and role; an answer for another audience is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, login
from tests.sso.saml_server import acs_urls, running_idp

pytestmark = pytest.mark.browser


def sign_in_at_idp(page: Any, account: str) -> None:
    page.get_by_test_id("sso-continue").click()
    page.wait_for_selector("text=Test identity provider")
    page.fill("input[name=login]", account)
    page.get_by_role("button", name="Sign in").click()


def test_saml_set_up_then_just_in_time_member_and_wrong_audience_refused(
    transactional_db: None, live_server: Any, settings: Any, new_page: Any, tmp_path: Path
) -> None:
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model

    from chorus.orgs.models import Membership, Role
    from chorus.program.models import Participation
    from chorus.sso.actions import do_add_domain, do_verify_domain
    from tests.factory import make_member, make_org, make_team

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the IdP listens on 127.0.0.1
    base = str(live_server.url)
    User = get_user_model()
    org = make_org("Acme", "acme")
    admin = make_member(
        org, Role.ORG_ADMIN, User.objects.create_user("root@acme.test", password=DEMO_PASSWORD)
    )
    make_team(org, "Marketing")
    operator = User.objects.create_superuser("operator@instance.example", DEMO_PASSWORD)
    do_verify_domain(operator, do_add_domain(admin, "acme.test"))

    with running_idp(tmp_path, acs_urls([base], ["acme"])) as idp:
        # The admin registers Chorus at the IdP with our addresses, then gives its metadata.
        page = new_page(locale="en-US")
        login(page, base, "root@acme.test")
        page.goto(f"{base}/o/acme/settings/sso/")
        assert page.get_by_test_id("saml-sp-acs").inner_text() == (
            f"{base}/accounts/saml/saml-acme/acs/"
        )
        metadata_url = page.get_by_test_id("saml-sp-metadata").inner_text()
        assert metadata_url == f"{base}/sso/saml-acme/metadata/"
        page.fill("#id_saml-name", "Acme SAML")
        page.fill("#id_saml-metadata_url", idp.metadata_url)
        page.fill("#id_saml-team_claim", "department")
        page.fill("#id_saml-role_claim", "groups")
        page.fill("#id_saml-role_program_manager", "chorus-managers")
        page.get_by_test_id("saml-save").click()
        assert "SAML identity provider was saved" in page.locator(".messages").inner_text()
        assert idp.entity_id in page.get_by_test_id("saml-state").inner_text()
        sp_metadata = page.request.get(metadata_url)
        assert sp_metadata.ok and 'WantAssertionsSigned="true"' in sp_metadata.text()

        # A newcomer signs in through the IdP: account, team and role just in time.
        jane = new_page(locale="en-US")
        jane.goto(f"{base}/accounts/login/")
        jane.fill("input[name=login]", "jane@acme.test")
        button = jane.get_by_test_id("sso-button")
        assert button.inner_text() == "Sign in with Acme SAML"
        button.click()
        sign_in_at_idp(jane, "jane")
        jane.wait_for_url(re.compile(re.escape(base) + r"/(o/acme/)?$"))
        member = Membership.objects.get(org=org, user__email="jane@acme.test")
        assert member.role == Role.PROGRAM_MANAGER
        assert member.team is not None and member.team.name == "Marketing"
        assert not Participation.objects.filter(membership=member).exists()
        assert SocialAccount.objects.filter(user=member.user, provider="saml-acme").exists()
        jane.goto(f"{base}/o/acme/")
        assert "Acme" in jane.locator("header").inner_text()

        # An answer the IdP made for another service is refused: nobody signs in.
        wanda = new_page(locale="en-US")
        wanda.goto(f"{base}/sso/saml-acme/")
        sign_in_at_idp(wanda, "wrong-audience")
        wanda.wait_for_url(re.compile(re.escape(base) + r"/accounts/saml/"))
        assert not User.objects.filter(email="wanda@acme.test").exists()
        wanda.goto(f"{base}/o/acme/")
        assert "/accounts/login/" in wanda.url
