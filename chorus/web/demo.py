"""The demo organisation "Acme": teams, people in every role, and a history to look at.

It calls every app's own demo loader, so it lives in the top layer (docs/architecture.md).

Idempotent: running it again finds what exists and adds nothing twice. Later features
extend it with their own demo data.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from chorus.analytics.demo import load_analytics_demo
from chorus.content.demo import load_content_demo
from chorus.links.demo import load_links_demo
from chorus.orgs import actions
from chorus.orgs.models import Membership, Organization, Role, Team
from chorus.program.demo import load_learning_demo, load_programme_demo

DEMO_LOGINS = [
    ("admin@acme.example", Role.ORG_ADMIN),
    ("pm@acme.example", Role.PROGRAM_MANAGER),
    ("manager@acme.example", Role.TEAM_MANAGER),
    ("ambassador@acme.example", Role.AMBASSADOR),
]

TEAMS = ["Sales", "Engineering", "People & Culture"]

# (first name, last name, language): a bilingual company, French and English speakers.
PEOPLE = [
    ("Camille", "Durand", "fr"),
    ("Olivia", "Bennett", "en"),
    ("Hugo", "Lefèvre", "fr"),
    ("Amelia", "Clarke", "en"),
    ("Léa", "Moreau", "fr"),
    ("Noah", "Patel", "en"),
    ("Lucas", "Girard", "fr"),
    ("Grace", "Turner", "en"),
    ("Chloé", "Fournier", "fr"),
    ("Ethan", "Wright", "en"),
    ("Manon", "Bonnet", "fr"),
    ("Isla", "Murphy", "en"),
    ("Théo", "Lambert", "fr"),
    ("Jack", "Hughes", "en"),
    ("Inès", "Rousseau", "fr"),
    ("Sophie", "Walker", "en"),
    ("Louis", "Mercier", "fr"),
    ("Harry", "Evans", "en"),
    ("Jade", "Fontaine", "fr"),
    ("Mia", "Robinson", "en"),
    ("Arthur", "Chevalier", "fr"),
    ("Leo", "Thompson", "en"),
    ("Zoé", "Garnier", "fr"),
    ("Ella", "Wood", "en"),
    ("Gabriel", "Faure", "fr"),
    ("Oscar", "Hall", "en"),
    ("Alice", "Blanc", "fr"),
    ("Lily", "Green", "en"),
    ("Nathan", "Roux", "fr"),
    ("Freya", "King", "en"),
    ("Emma", "Perrin", "fr"),
    ("Jacob", "Scott", "en"),
    ("Raphaël", "Morel", "fr"),
    ("Ava", "Baker", "en"),
]


@dataclass
class DemoResult:
    org: Organization
    created: int


def _user(email: str, first: str, last: str, language: str, password: str):  # type: ignore[no-untyped-def]
    User = get_user_model()
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last, "language": language}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user, created


@transaction.atomic
def load_demo(password: str) -> DemoResult:
    """Create (or complete) the Acme demo organisation and a second one to switch to."""
    rng = random.Random(2026)  # noqa: S311 - the same demo on every machine, not a secret
    created = 0
    admin, made = _user("admin@acme.example", "Alex", "Martin", "", password)
    created += made
    org = Organization.objects.filter(slug="acme").first()
    if org is None:
        org = actions.do_create_organization("Acme", "acme", admin, language="en")
        created += 1
    admin_membership = Membership.objects.get(org=org, user=admin)

    teams: dict[str, Team] = {}
    for name in TEAMS:
        team = Team.objects.filter(org=org, name=name).first()
        if team is None:
            team = actions.do_save_team(admin_membership, None, name=name, manager=None)
            created += 1
        teams[name] = team

    def member(email: str, first: str, last: str, language: str, role: str, team: Team | None):
        nonlocal created
        user, made = _user(email, first, last, language, password)
        created += made
        existing = Membership.objects.filter(org=org, user=user).first()
        if existing is not None:
            return existing
        created += 1
        return actions.do_add_member(admin_membership, email, role, team)

    member("pm@acme.example", "Pauline", "Laurent", "fr", Role.PROGRAM_MANAGER, None)
    manager = member(
        "manager@acme.example", "Marcus", "Reed", "en", Role.TEAM_MANAGER, teams["Sales"]
    )
    member("ambassador@acme.example", "Anna", "Costa", "", Role.AMBASSADOR, teams["Sales"])
    eng_manager = member(
        "sarah.nguyen@acme.example",
        "Sarah",
        "Nguyen",
        "en",
        Role.TEAM_MANAGER,
        teams["Engineering"],
    )
    people_manager = member(
        "julien.petit@acme.example",
        "Julien",
        "Petit",
        "fr",
        Role.TEAM_MANAGER,
        teams["People & Culture"],
    )
    managers = {"Sales": manager, "Engineering": eng_manager, "People & Culture": people_manager}
    for name, team in teams.items():
        if team.manager_id is None:
            actions.do_save_team(admin_membership, team, name=team.name, manager=managers[name])

    team_list = list(teams.values())
    for index, (first, last, language) in enumerate(PEOPLE):
        ascii_name = unicodedata.normalize("NFKD", f"{first}.{last}").encode("ascii", "ignore")
        email = f"{ascii_name.decode().lower()}@acme.example"
        role = Role.PROGRAM_MANAGER if index == 5 else Role.AMBASSADOR
        team = None if index % 11 == 10 else team_list[index % len(team_list)]
        member(email, first, last, language if rng.random() > 0.3 else "", role, team)

    # A second organisation, so switching between organisations can be tried.
    northwind = Organization.objects.filter(slug="northwind").first()
    if northwind is None:
        owner, made = _user("admin@northwind.example", "Nora", "West", "en", password)
        created += made
        northwind = actions.do_create_organization("Northwind", "northwind", owner)
        owner_membership = Membership.objects.get(org=northwind, user=owner)
        actions.do_add_member(owner_membership, "pm@acme.example", Role.AMBASSADOR)
        created += 2
    created += load_content_demo(org, rng)
    created += load_programme_demo(org, rng)
    created += load_learning_demo(org, rng)
    created += load_links_demo(org, rng)
    created += load_analytics_demo(org, rng)
    return DemoResult(org=org, created=created)
