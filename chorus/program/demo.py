"""Demo programme for Acme: a pilot and two waves; most people opted in, some still
deciding, a few declined or left. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from chorus.orgs.models import Membership, Organization, Role
from chorus.program.consent import consent_text
from chorus.program.models import CONSENT_VERSION, Cohort, Participation


def load_programme_demo(org: Organization, rng: random.Random) -> int:
    if Cohort.objects.filter(org=org).exists():
        return 0
    today = timezone.now().date()
    pilot = Cohort.objects.create(
        org=org, name="Pilot", kind=Cohort.Kind.PILOT, starts_on=today - timedelta(days=120)
    )
    wave1 = Cohort.objects.create(org=org, name="Wave 1", starts_on=today - timedelta(days=60))
    wave2 = Cohort.objects.create(org=org, name="Wave 2", starts_on=today - timedelta(days=7))
    members = list(Membership.objects.filter(org=org).select_related("user").order_by("id"))
    text = consent_text(org)
    created = 3
    for index, member in enumerate(members):
        cohort = pilot if index < 10 else wave1 if index < 28 else wave2
        status = Participation.Status.ACTIVE
        # The demo logins are always in; among the others, a realistic mix.
        if member.user.email not in {
            "admin@acme.example",
            "pm@acme.example",
            "manager@acme.example",
            "ambassador@acme.example",
        }:
            roll = rng.random()
            if cohort is wave2 and roll < 0.5:
                status = Participation.Status.INVITED
            elif roll < 0.06:
                status = Participation.Status.DECLINED
            elif roll < 0.1:
                status = Participation.Status.LEFT
        if member.role == Role.ORG_ADMIN and member.user.email != "admin@acme.example":
            continue
        active = status in (Participation.Status.ACTIVE, Participation.Status.LEFT)
        Participation.objects.create(
            org=org,
            membership=member,
            cohort=cohort,
            status=status,
            consent_version=CONSENT_VERSION if active else "",
            consent_text=text if active else "",
            consent_language="en" if active else "",
            opted_in_at=timezone.now() - timedelta(days=rng.randint(1, 100)) if active else None,
            left_at=timezone.now() - timedelta(days=3)
            if status == Participation.Status.LEFT
            else None,
        )
        created += 1
    return created
