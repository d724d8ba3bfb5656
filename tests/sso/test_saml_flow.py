"""Signing in through a real SAML 2.0 identity provider (auth0's samlp on 127.0.0.1), end to
end: the Django test client plays our side, a requests session plays the person at the IdP,
and the IdP's metadata is fetched through the SSRF guard. Answers with a bad signature, a
wrong audience, no signed assertion, or out of their validity window are refused and change
nothing; the clock skew setting is tolerated."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client
from lxml import etree

from chorus.orgs.models import AuditEntry, Membership, Role
from chorus.program.models import Participation
from chorus.sso.actions import (
    do_add_domain,
    do_save_saml_provider,
    do_verify_domain,
    read_saml_metadata,
)
from tests.factory import make_member, make_org, make_team, make_user
from tests.sso.saml_server import LocalIdP, acs_urls, running_idp, sign_in_at_idp

User = get_user_model()
ACS = "/accounts/saml/saml-acme/acs/"


@pytest.fixture(scope="session")
def saml_idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIdP]:
    """One IdP for the Django test client's host (http://testserver)."""
    with running_idp(
        tmp_path_factory.mktemp("saml"), acs_urls(["http://testserver"], ["acme"])
    ) as idp:
        yield idp


@pytest.fixture
def client() -> Client:
    """A browser sends the Host header (python3-saml reads it); Django's test client not."""
    return Client(HTTP_HOST="testserver")


@pytest.fixture
def acme(db: None, saml_idp: LocalIdP, settings: Any) -> dict[str, Any]:
    """Acme (acme.test) signs in through the SAML IdP; Globex owns globex.test."""
    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the IdP listens on 127.0.0.1
    operator = make_user("operator@instance.example", is_superuser=True)
    org = make_org("Acme", "acme")
    admin = make_member(org, Role.ORG_ADMIN, make_user("root@acme.test"))
    make_team(org, "Marketing")
    sales = make_team(org, "Sales")
    provider = do_save_saml_provider(
        admin,
        None,
        name="Acme SAML",
        metadata_url=saml_idp.metadata_url,
        metadata=read_saml_metadata(saml_idp.metadata_url, None),
        enabled=True,
        team_claim="department",
        role_claim="groups",
        role_values={Role.PROGRAM_MANAGER: "chorus-managers"},
    )
    do_verify_domain(operator, do_add_domain(admin, "acme.test"))
    globex = make_org("Globex", "globex")
    globex_admin = make_member(globex, Role.ORG_ADMIN, make_user("boss@globex.test"))
    do_verify_domain(operator, do_add_domain(globex_admin, "globex.test"))
    return {"org": org, "admin": admin, "provider": provider, "sales": sales}


def idp_answer(client: Client, login: str) -> dict[str, str]:
    """Click "Sign in with …" and sign in at the IdP as `login`: the fields its form would
    post to our ACS (not posted yet)."""
    started = client.post("/accounts/saml/saml-acme/login/", {"process": "login"})
    assert started.status_code == 302, started.content
    action, fields = sign_in_at_idp(started["Location"], login)
    assert action == f"http://testserver{ACS}", action
    return fields


def post_answer(client: Client, fields: dict[str, str]) -> Any:
    """The browser posts the IdP's answer to our ACS, which hands over to its finish step."""
    posted = client.post(ACS, fields)
    assert posted.status_code == 302, posted.content
    return client.get(posted["Location"])


def saml_sign_in(client: Client, login: str) -> Any:
    return post_answer(client, idp_answer(client, login))


def signed_in(client: Client) -> bool:
    return client.get("/o/acme/").status_code == 200


def errors(org: Any) -> list[str]:
    return [
        str(entry.changes.get("detail", [None, ""])[1])
        for entry in AuditEntry.objects.filter(org=org, action="sso.error").order_by("id")
    ]


def test_first_sign_in_creates_the_member_with_mapped_team_and_role(
    acme: dict[str, Any], client: Client
) -> None:
    answer = saml_sign_in(client, "jane")

    assert answer.status_code == 302 and answer["Location"] == "/", answer.content
    jane = User.objects.get(email="jane@acme.test")
    assert (jane.first_name, jane.last_name) == ("Jane", "Doe")
    assert not jane.has_usable_password()
    member = Membership.objects.get(org=acme["org"], user=jane)
    assert member.role == Role.PROGRAM_MANAGER
    assert member.team is not None and member.team.name == "Marketing"
    assert signed_in(client)
    # Signing in is not joining the ambassador programme.
    assert not Participation.objects.filter(membership=member).exists()
    assert SocialAccount.objects.get(user=jane).provider == "saml-acme"
    actions = set(AuditEntry.objects.filter(org=acme["org"]).values_list("action", flat=True))
    assert {"member.add", "sso.join"} <= actions

    # The next sign-in finds the same person: no second account or membership.
    client.logout()
    assert saml_sign_in(client, "jane").status_code == 302
    assert User.objects.filter(email="jane@acme.test").count() == 1
    assert Membership.objects.filter(user=jane).count() == 1


def test_an_existing_member_is_linked_and_an_email_nameid_is_read(
    acme: dict[str, Any], client: Client
) -> None:
    ben = make_member(acme["org"], Role.AMBASSADOR, make_user("ben@acme.test"), programme=None)

    assert saml_sign_in(client, "ben").status_code == 302
    ben.refresh_from_db()
    assert ben.team == acme["sales"] and ben.role == Role.AMBASSADOR
    assert SocialAccount.objects.get(provider="saml-acme").user == ben.user

    client.logout()
    assert saml_sign_in(client, "nameid").status_code == 302
    nora = Membership.objects.get(org=acme["org"], user__email="nora@acme.test")
    assert nora.team == acme["sales"]


def test_another_organisations_domain_is_refused(acme: dict[str, Any], client: Client) -> None:
    answer = saml_sign_in(client, "foreigner")

    assert answer.status_code == 403
    assert b'data-reason="domain_of_another_organisation"' in answer.content
    assert not User.objects.filter(email="gina@globex.test").exists()
    refused = AuditEntry.objects.get(org=acme["org"], action="sso.refused")
    assert refused.changes["reason"] == [None, "domain_of_another_organisation"]


def _nothing_changed(client: Client, email: str) -> None:
    assert not signed_in(client)
    assert not User.objects.filter(email=email).exists()
    assert not SocialAccount.objects.exists()
    assert not Membership.objects.filter(user__email=email).exists()


@pytest.mark.parametrize(
    ("login", "email", "reason"),
    [
        ("wrong-audience", "wanda@acme.test", "is not a valid audience"),
        ("rogue", "rick@acme.test", "Signature validation failed"),
        ("unsigned-assertion", "una@acme.test", "The Assertion of the Response is not signed"),
    ],
)
def test_answers_the_idp_should_not_give_are_refused(
    acme: dict[str, Any], client: Client, login: str, email: str, reason: str
) -> None:
    answer = saml_sign_in(client, login)

    assert answer.status_code == 401, answer.content
    _nothing_changed(client, email)
    assert any(reason in detail for detail in errors(acme["org"])), errors(acme["org"])


def _tampered(fields: dict[str, str], old: str, new: str) -> dict[str, str]:
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert old in xml
    return {**fields, "SAMLResponse": base64.b64encode(xml.replace(old, new).encode()).decode()}


def test_a_changed_assertion_fails_its_signature(acme: dict[str, Any], client: Client) -> None:
    """Someone edits a signed assertion for Ben into one for the org admin: refused."""
    make_member(acme["org"], Role.AMBASSADOR, make_user("ben@acme.test"), programme=None)
    fields = _tampered(idp_answer(client, "ben"), "ben@acme.test", "root@acme.test")

    answer = post_answer(client, fields)

    assert answer.status_code == 401, answer.content
    assert not signed_in(client)
    assert not SocialAccount.objects.exists()
    assert any("Signature validation failed" in detail for detail in errors(acme["org"]))


def test_an_answer_is_used_once(acme: dict[str, Any], client: Client) -> None:
    fields = idp_answer(client, "jane")
    assert post_answer(client, fields).status_code == 302
    client.logout()

    replayed = post_answer(client, fields)

    assert replayed.status_code in (401, 403), replayed.content
    assert not signed_in(client)


def _conditions(fields: dict[str, str]) -> tuple[dt.datetime, dt.datetime]:
    document = etree.fromstring(base64.b64decode(fields["SAMLResponse"]))
    conditions = document.find(".//{urn:oasis:names:tc:SAML:2.0:assertion}Conditions")
    assert conditions is not None

    def parse(value: str) -> dt.datetime:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))

    return parse(conditions.get("NotBefore", "")), parse(conditions.get("NotOnOrAfter", ""))


def test_an_expired_answer_is_refused(acme: dict[str, Any], client: Client, settings: Any) -> None:
    fields = idp_answer(client, "jane")
    _not_before, not_on_or_after = _conditions(fields)

    with time_machine.travel(
        not_on_or_after + dt.timedelta(seconds=settings.CHORUS_SAML_CLOCK_SKEW + 5)
    ):
        answer = post_answer(client, fields)

    assert answer.status_code == 401, answer.content
    _nothing_changed(client, "jane@acme.test")


@pytest.mark.parametrize(("behind", "accepted"), [(60, True), (200, False)])
def test_an_idp_clock_ahead_of_ours_is_tolerated_within_the_skew(
    acme: dict[str, Any], client: Client, settings: Any, behind: int, accepted: bool
) -> None:
    """Our clock `behind` seconds behind the IdP's: its NotBefore is in our future."""
    assert settings.CHORUS_SAML_CLOCK_SKEW == 120
    fields = idp_answer(client, "jane")
    not_before, _not_on_or_after = _conditions(fields)

    with time_machine.travel(not_before - dt.timedelta(seconds=behind)):
        answer = post_answer(client, fields)

    if accepted:
        assert answer.status_code == 302 and answer["Location"] == "/", answer.content
        assert User.objects.filter(email="jane@acme.test").exists()
    else:
        assert answer.status_code == 401, answer.content
        _nothing_changed(client, "jane@acme.test")
        assert any("not yet valid" in detail for detail in errors(acme["org"]))


def test_our_sp_metadata_is_at_a_stable_url(acme: dict[str, Any], client: Client) -> None:
    answer = client.get("/sso/saml-acme/metadata/")

    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/samlmetadata+xml"
    document = etree.fromstring(answer.content)
    md = "{urn:oasis:names:tc:SAML:2.0:metadata}"
    assert document.get("entityID") == "http://testserver/sso/saml-acme/metadata/"
    sp = document.find(f"{md}SPSSODescriptor")
    assert sp is not None and sp.get("WantAssertionsSigned") == "true"
    acs = sp.find(f"{md}AssertionConsumerService")
    assert acs is not None and acs.get("Location") == f"http://testserver{ACS}"
    assert client.get("/sso/saml-globex/metadata/").status_code == 404
    assert client.get("/sso/org-acme/metadata/").status_code == 404
