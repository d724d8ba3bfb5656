from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from chorus.orgs.models import AuditEntry, Membership, Organization, Role, Team


class DemoTests(TestCase):
    def test_demo_is_complete_and_idempotent(self) -> None:
        out = StringIO()
        call_command("demo", "--password", "demo-password-123", stdout=out)
        counts = (Membership.objects.count(), Team.objects.count(), AuditEntry.objects.count())
        call_command("demo", "--password", "demo-password-123", stdout=StringIO())
        self.assertEqual(
            (Membership.objects.count(), Team.objects.count(), AuditEntry.objects.count()), counts
        )
        acme = Organization.objects.get(slug="acme")
        self.assertEqual(acme.teams.count(), 3)
        self.assertGreaterEqual(acme.memberships.count(), 38)
        for email, role in [
            ("admin@acme.example", Role.ORG_ADMIN),
            ("pm@acme.example", Role.PROGRAM_MANAGER),
            ("manager@acme.example", Role.TEAM_MANAGER),
            ("ambassador@acme.example", Role.AMBASSADOR),
        ]:
            member = Membership.objects.get(org=acme, user__email=email)
            self.assertEqual(member.role, role)
            self.assertTrue(member.user.check_password("demo-password-123"))
            self.assertIn(email, out.getvalue())
        self.assertIn("demo-password-123", out.getvalue())
        # pm@acme.example belongs to a second organisation, to try switching.
        self.assertEqual(Membership.objects.filter(user__email="pm@acme.example").count(), 2)
        self.assertTrue(all(team.manager_id for team in acme.teams.all()))
        # Content and tracked links, for every screen to mean something.
        from chorus.content.models import Caption, ContentItem, CuratedEntry
        from chorus.links.models import Conversion, LinkDay, TrackedLink

        self.assertGreaterEqual(ContentItem.objects.filter(org=acme).count(), 150)
        self.assertGreaterEqual(Caption.objects.filter(org=acme).count(), 300)
        self.assertTrue(CuratedEntry.objects.filter(org=acme, status="new").exists())
        self.assertGreaterEqual(TrackedLink.objects.filter(org=acme).count(), 30)
        self.assertTrue(LinkDay.objects.filter(org=acme, clicks__gt=0).exists())
        self.assertTrue(Conversion.objects.filter(org=acme, ambassador__isnull=False).exists())
