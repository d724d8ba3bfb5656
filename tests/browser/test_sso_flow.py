"""Single sign-on in Chromium through a real OpenID Provider (oidc-provider on 127.0.0.1):
the admin sets it up and tests the connection on the settings page; a newcomer types their
e-mail on the sign-in page, signs in at the provider and arrives with the mapped team and
role; a foreign domain is refused; once SSO is required, a member's password is refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import login
from tests.sso.oidc_server import CLIENT_ID, CLIENT_SECRET, redirect_uris, running_provider

pytestmark = pytest.mark.browser

PASSWORD = "browser-demo-password"


def sign_in_at_provider(page: Any, account: str) -> None:
    page.get_by_test_id("sso-continue").click()
    page.wait_for_selector("input[name=login][placeholder]")
    page.fill("input[name=login]", account)
    page.fill("input[name=password]", "anything")
    page.get_by_role("button", name="Sign-in").click()


def sso_button(page: Any, email: str) -> Any:
    """Type the e-mail on the sign-in page; the organisation's button appears."""
    page.fill("input[name=login]", email)
    return page.get_by_test_id("sso-button")


def test_sso_set_up_then_just_in_time_member_foreign_domain_and_required_sso(
    transactional_db: None, live_server: Any, settings: Any, new_page: Any, tmp_path: Path
) -> None:
    from allauth.socialaccount.models import SocialAccount
    from django.contrib.auth import get_user_model

    from chorus.orgs.models import Membership, Role
    from chorus.program.models import Participation
    from chorus.sso.actions import do_verify_domain
    from chorus.sso.models import EmailDomain
    from tests.factory import make_member, make_org, make_team

    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the provider listens on 127.0.0.1
    base = str(live_server.url)
    User = get_user_model()
    org = make_org("Acme", "acme")
    admin = make_member(
        org, Role.ORG_ADMIN, User.objects.create_user("root@acme.test", password=PASSWORD)
    )
    make_team(org, "Marketing")
    ben = make_member(
        org, Role.AMBASSADOR, User.objects.create_user("ben@acme.test", password=PASSWORD)
    )
    operator = User.objects.create_superuser("operator@instance.example", PASSWORD)
    globex = make_org("Globex", "globex")
    make_member(globex, Role.ORG_ADMIN, User.objects.create_user("boss@globex.test"))
    EmailDomain.objects.create(org=globex, domain="globex.test")
    do_verify_domain(operator, EmailDomain.objects.get(domain="globex.test"))

    with running_provider(tmp_path, redirect_uris([base], ["acme"])) as provider:
        # The admin sets the provider up and tests the connection.
        page = new_page(locale="en-US")
        login(page, base, "root@acme.test")
        page.goto(f"{base}/o/acme/settings/")
        page.get_by_role("main").get_by_role("link", name="Single sign-on").click()
        callback = page.get_by_test_id("callback-url").inner_text()
        assert callback == f"{base}/accounts/oidc/org-acme/login/callback/"
        page.get_by_label("Name shown on the sign-in button").fill("Acme Login")
        page.get_by_label("Issuer URL").fill(provider.issuer)
        page.get_by_label("Client ID").fill(CLIENT_ID)
        page.get_by_label("Client secret").fill(CLIENT_SECRET)
        page.get_by_label("Team claim").fill("department")
        page.get_by_label("Role claim").fill("groups")
        page.get_by_label("Value for program managers").fill("chorus-managers")
        page.get_by_role("button", name="Save the identity provider").click()
        assert "was saved" in page.locator(".messages").inner_text()
        page.get_by_test_id("sso-test").click()
        assert "The connection works" in page.locator(".messages").inner_text()
        page.get_by_label("E-mail domain").fill("acme.test")
        page.get_by_role("button", name="Add the domain").click()
        assert "waiting for an operator" in page.locator("main").inner_text()

        # The instance operator confirms the domain.
        operator_page = new_page(locale="en-US")
        login(operator_page, base, "operator@instance.example")
        operator_page.goto(f"{base}/operator/domains/")
        operator_page.get_by_role("button", name="Verify acme.test").click()
        assert "acme.test is verified for Acme" in operator_page.locator(".messages").inner_text()

        # A newcomer signs in with single sign-on: account, team and role just in time.
        jane = new_page(locale="en-US")
        jane.goto(f"{base}/accounts/login/")
        button = sso_button(jane, "jane@acme.test")
        assert button.inner_text() == "Sign in with Acme Login"
        button.click()
        sign_in_at_provider(jane, "jane")
        jane.wait_for_url(re.compile(re.escape(base) + r"/(o/acme/)?$"))
        member = Membership.objects.get(org=org, user__email="jane@acme.test")
        assert member.role == Role.PROGRAM_MANAGER
        assert member.team is not None and member.team.name == "Marketing"
        assert not Participation.objects.filter(membership=member).exists()
        jane.goto(f"{base}/o/acme/")
        assert "Acme" in jane.locator("header").inner_text()

        # Another organisation's domain gets no button, and its people never join Acme.
        stranger = new_page(locale="en-US")
        stranger.goto(f"{base}/accounts/login/")
        sso_button(stranger, "gina@globex.test")
        stranger.locator("#sso-providers").get_by_text("sign in with your password").wait_for()
        assert stranger.get_by_test_id("sso-button").count() == 0
        sso_button(stranger, "someone@acme.test").click()
        sign_in_at_provider(stranger, "foreigner")
        refused = stranger.get_by_test_id("sso-refused")
        assert refused.get_attribute("data-reason") == "domain_of_another_organisation"
        assert not User.objects.filter(email="gina@globex.test").exists()

        # The admin requires single sign-on and stays the break-glass admin.
        page.goto(f"{base}/o/acme/settings/sso/")
        page.get_by_label("Require single sign-on").check()
        page.get_by_label("Break-glass admin").select_option(str(admin.pk))
        page.get_by_role("button", name="Save the rules").click()
        assert "rules were saved" in page.locator(".messages").inner_text()

        # Ben's password no longer works; single sign-on does.
        ben_page = new_page(locale="en-US")
        ben_page.goto(f"{base}/accounts/login/")
        ben_page.fill("input[name=login]", "ben@acme.test")
        ben_page.fill("input[name=password]", PASSWORD)
        ben_page.locator("main form button[type=submit]").first.click()
        ben_page.get_by_text("are not correct").wait_for()
        assert ben_page.url.startswith(f"{base}/accounts/login/")
        ben_page.get_by_test_id("sso-button").click()
        sign_in_at_provider(ben_page, "ben")
        ben_page.wait_for_url(re.compile(re.escape(base) + r"/(o/acme/)?$"))
        ben_page.goto(f"{base}/profile/")
        assert "ben@acme.test" in ben_page.locator("main").inner_text()
        assert SocialAccount.objects.filter(user=ben.user, provider="org-acme").exists()
