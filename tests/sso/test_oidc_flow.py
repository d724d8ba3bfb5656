"""Signing in through a real OpenID Provider (oidc-provider on 127.0.0.1), end to end:
the Django test client plays our side, a requests session plays the person at the provider,
and the token exchange, userinfo and key fetches are real HTTP through the SSRF guard."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from chorus.orgs.models import AuditEntry, Membership, Role
from chorus.program.models import Participation
from chorus.sso.actions import do_change_sso_settings
from tests.factory import PASSWORD, make_member, make_user
from tests.sso.oidc_server import sign_in_at_provider

User = get_user_model()


def sso_sign_in(client: Client, login: str, slug: str = "acme") -> Any:
    """Click "Sign in with …", sign in at the provider as `login`, come back."""
    started = client.post(f"/accounts/oidc/org-{slug}/login/", {"process": "login"})
    assert started.status_code == 302, started.content
    callback = sign_in_at_provider(started["Location"], login)
    parts = urlsplit(callback)
    assert parts.netloc == "testserver", callback
    return client.get(f"{parts.path}?{parts.query}")


def refusals(org: Any) -> list[dict[str, Any]]:
    return [
        entry.changes
        for entry in AuditEntry.objects.filter(org=org, action="sso.refused").order_by("id")
    ]


def test_first_sign_in_creates_the_member_with_mapped_team_and_role(
    acme: dict[str, Any], client: Client
) -> None:
    answer = sso_sign_in(client, "jane")

    assert answer.status_code == 302 and answer["Location"] == "/", answer.content
    jane = User.objects.get(email="jane@acme.test")
    assert (jane.first_name, jane.last_name) == ("Jane", "Doe")
    assert not jane.has_usable_password()
    member = Membership.objects.get(org=acme["org"], user=jane)
    assert member.role == Role.PROGRAM_MANAGER
    assert member.team is not None and member.team.name == "Marketing"
    assert client.get("/o/acme/").status_code == 200
    # Signing in is not joining the ambassador programme.
    assert not Participation.objects.filter(membership=member).exists()
    assert SocialAccount.objects.get(user=jane).provider == "org-acme"
    actions = set(AuditEntry.objects.filter(org=acme["org"]).values_list("action", flat=True))
    assert {"member.add", "sso.join"} <= actions

    # The next sign-in finds the same person: no second account or membership.
    client.logout()
    assert sso_sign_in(client, "jane").status_code == 302
    assert User.objects.filter(email="jane@acme.test").count() == 1
    assert Membership.objects.filter(user=jane).count() == 1


def test_an_existing_member_is_linked_and_follows_the_directory(
    acme: dict[str, Any], client: Client
) -> None:
    ben = make_member(acme["org"], Role.AMBASSADOR, make_user("ben@acme.test"), programme=None)

    answer = sso_sign_in(client, "ben")

    assert answer.status_code == 302 and answer["Location"] == "/"
    ben.refresh_from_db()
    assert ben.team == acme["sales"]
    assert ben.role == Role.AMBASSADOR
    assert SocialAccount.objects.get(provider="org-acme").user == ben.user
    change = AuditEntry.objects.get(org=acme["org"], action="member.change")
    assert change.changes["team"] == [None, "Sales"]


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("foreigner", "domain_of_another_organisation"),
        ("stranger", "domain_not_verified"),
        ("unverified", "email_not_verified"),
    ],
)
def test_refused_sign_ins_create_nobody(
    acme: dict[str, Any], client: Client, login: str, reason: str
) -> None:
    users_before = User.objects.count()

    answer = sso_sign_in(client, login)

    assert answer.status_code == 403
    assert reason.encode() in answer.content
    assert User.objects.count() == users_before
    assert not SocialAccount.objects.exists()
    assert "_auth_user_id" not in client.session
    assert [entry["reason"] for entry in refusals(acme["org"])] == [[None, reason]]


def test_a_deactivated_member_is_refused(acme: dict[str, Any], client: Client) -> None:
    make_member(acme["org"], user=make_user("ben@acme.test"), is_active=False)

    answer = sso_sign_in(client, "ben")

    assert answer.status_code == 403
    assert "_auth_user_id" not in client.session
    assert refusals(acme["org"])[-1]["reason"] == [None, "membership_inactive"]


def test_required_sso_refuses_passwords_except_the_break_glass_admin(
    acme: dict[str, Any], client: Client
) -> None:
    amy = make_member(acme["org"], user=make_user("amy@acme.test"))
    do_change_sso_settings(acme["admin"], require_sso=True, break_glass=acme["admin"])

    refused = client.post("/accounts/login/", {"login": "amy@acme.test", "password": PASSWORD})
    assert refused.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(
        org=acme["org"], action="sso.password_refused", target_id=str(amy.user.pk)
    ).exists()

    allowed = client.post("/accounts/login/", {"login": "root@acme.test", "password": PASSWORD})
    assert allowed.status_code == 302
    assert client.session["_auth_user_id"] == str(acme["admin"].user.pk)
    assert AuditEntry.objects.filter(org=acme["org"], action="sso.break_glass_sign_in").exists()

    # Single sign-on still lets members in.
    client.logout()
    make_member(acme["org"], user=make_user("ben@acme.test"))
    assert sso_sign_in(client, "ben").status_code == 302

    # Once the requirement is lifted, passwords work again.
    client.logout()
    do_change_sso_settings(acme["admin"], require_sso=False, break_glass=acme["admin"])
    again = client.post("/accounts/login/", {"login": "amy@acme.test", "password": PASSWORD})
    assert again.status_code == 302
