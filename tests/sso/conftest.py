from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chorus.orgs.models import Membership, Organization, Role
from chorus.sso.actions import (
    do_add_domain,
    do_check_provider,
    do_save_provider,
    do_verify_domain,
)
from chorus.sso.models import IdentityProvider
from tests.factory import make_member, make_org, make_team, make_user
from tests.sso.oidc_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    LocalProvider,
    redirect_uris,
    running_provider,
)


@pytest.fixture(scope="session")
def oidc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    """One OpenID Provider for the Django test client's host (http://testserver)."""
    uris = redirect_uris(["http://testserver"], ["acme", "globex"])
    with running_provider(tmp_path_factory.mktemp("oidc"), uris) as provider:
        yield provider


def configure_sso(
    org: Organization,
    admin: Membership,
    issuer: str,
    domain: str,
    operator: Any,
) -> IdentityProvider:
    """An organisation with a checked OpenID Connect provider and a verified domain, whose
    `groups` claim value chorus-managers gives program managers and `department` the team."""
    provider = do_save_provider(
        admin,
        None,
        name=f"{org.name} Login",
        issuer_url=issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        enabled=True,
        team_claim="department",
        role_claim="groups",
        role_values={Role.PROGRAM_MANAGER: "chorus-managers"},
    )
    do_check_provider(admin, provider)
    do_verify_domain(operator, do_add_domain(admin, domain))
    provider.refresh_from_db()
    return provider


@pytest.fixture
def acme(db: None, oidc: LocalProvider, settings: Any) -> dict[str, Any]:
    """Acme (acme.test) signs in through the provider; Globex owns globex.test."""
    settings.CHORUS_ALLOW_PRIVATE_URLS = True  # the provider listens on 127.0.0.1
    operator = make_user("operator@instance.example", is_superuser=True)
    org = make_org("Acme", "acme")
    admin = make_member(org, Role.ORG_ADMIN, make_user("root@acme.test"))
    make_team(org, "Marketing")
    sales = make_team(org, "Sales")
    provider = configure_sso(org, admin, oidc.issuer, "acme.test", operator)
    globex = make_org("Globex", "globex")
    globex_admin = make_member(globex, Role.ORG_ADMIN, make_user("boss@globex.test"))
    do_verify_domain(operator, do_add_domain(globex_admin, "globex.test"))
    return {
        "org": org,
        "admin": admin,
        "provider": provider,
        "sales": sales,
        "globex": globex,
        "operator": operator,
    }
