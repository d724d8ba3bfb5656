"""A test base with named people, one per role, and an outsider from another org."""

from __future__ import annotations

from django.test import TestCase

from chorus.orgs.models import Role
from tests.factory import PASSWORD, make_member, make_org, make_team, make_user


class OrgTestCase(TestCase):
    """Acme, with Alice (org admin), Paul (program manager), Maya (team manager of Sales),
    Amy (ambassador in Sales); and Oscar, the admin of another organisation, Globex."""

    password = PASSWORD

    @classmethod
    def setUpTestData(cls) -> None:
        cls.org = make_org("Acme", "acme")
        cls.alice = make_user("alice@acme.example", first_name="Alice")
        cls.paul = make_user("paul@acme.example", first_name="Paul")
        cls.maya = make_user("maya@acme.example", first_name="Maya")
        cls.amy = make_user("amy@acme.example", first_name="Amy")
        cls.alice_m = make_member(cls.org, Role.ORG_ADMIN, cls.alice)
        cls.paul_m = make_member(cls.org, Role.PROGRAM_MANAGER, cls.paul)
        cls.maya_m = make_member(cls.org, Role.TEAM_MANAGER, cls.maya)
        cls.team = make_team(cls.org, "Sales", manager=cls.maya_m)
        cls.maya_m.team = cls.team
        cls.maya_m.save()
        cls.amy_m = make_member(cls.org, Role.AMBASSADOR, cls.amy, team=cls.team)

        cls.other_org = make_org("Globex", "globex")
        cls.oscar = make_user("oscar@globex.example", first_name="Oscar")
        cls.oscar_m = make_member(cls.other_org, Role.ORG_ADMIN, cls.oscar)
        cls.other_team = make_team(cls.other_org, "Globex Sales")

    def login(self, user) -> None:  # type: ignore[no-untyped-def]
        self.client.force_login(user)
