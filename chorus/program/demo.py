"""Demo programme for Acme: a pilot and two waves; most people opted in, some still
deciding, a few declined or left. Idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from chorus.orgs.consent import consent_text
from chorus.orgs.models import Membership, Organization, Role
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


GUIDE = {
    "en": (
        "Ambassador guide",
        "Why we share: people trust people more than brands. Your voice, your network, your "
        "choice.\n\nWhat to share: what you find genuinely interesting, in your own words. Add "
        "why it matters to you, an example from your work, or a question.\n\nWhat not to "
        "share: anything confidential, figures before they are public, opinions in the "
        "company's name.\n\nHow often: one or two posts a week beat ten in a day. Chorus spreads "
        "colleagues' posts so that the same news never floods the same people.",
    ),
    "fr": (
        "Guide de l'ambassadeur",
        "Pourquoi partager : on fait plus confiance aux personnes qu'aux marques. Votre voix, "
        "votre réseau, votre choix.\n\nQuoi partager : ce qui vous intéresse vraiment, avec vos "
        "mots. Dites pourquoi c'est important pour vous, donnez un exemple tiré de votre "
        "travail, ou posez une question.\n\nCe qu'on ne partage pas : le confidentiel, les "
        "chiffres avant leur publication, des opinions au nom de l'entreprise.\n\nÀ quel "
        "rythme : une ou deux publications par semaine valent mieux que dix en un jour. Chorus "
        "étale les publications des collègues pour qu'une même nouvelle n'inonde jamais les "
        "mêmes personnes.",
    ),
}
RESOURCES = [
    (
        "video",
        "https://www.example.com/training/linkedin-profile",
        {
            "en": "Polish your LinkedIn profile in 10 minutes",
            "fr": "Soigner son profil LinkedIn en 10 minutes",
        },
    ),
    (
        "article",
        "",
        {"en": "Writing a post in your own words", "fr": "Écrire une publication avec ses mots"},
    ),
]
FAQ = [
    (
        "Am I allowed to share a post about a client project?",
        "Only once the client has agreed publicly: share the company's own post about it.",
    ),
    (
        "Do I have to post every week?",
        "No. The weekly target is yours to set in your profile, and zero is fine.",
    ),
    (
        "Can Chorus post without me knowing?",
        "Never. Chorus only publishes what you wrote or approved, at the time you chose.",
    ),
]


def load_learning_demo(org: Organization, rng: random.Random) -> int:
    """Training resources (the guide in English and French), workshops and an FAQ."""
    from chorus.program.models import (
        Question,
        Resource,
        ResourceText,
        Workshop,
        WorkshopSignup,
    )

    if Resource.objects.filter(org=org).exists():
        return 0
    created = 0
    guide = Resource.objects.create(org=org, kind=Resource.Kind.GUIDE, is_guide=True)
    for language, (title, body) in GUIDE.items():
        ResourceText.objects.create(resource=guide, language=language, title=title, body=body)
    for position, (kind, url, titles) in enumerate(RESOURCES, start=1):
        resource = Resource.objects.create(org=org, kind=kind, url=url, position=position)
        for language, title in titles.items():
            ResourceText.objects.create(resource=resource, language=language, title=title, body="")
        created += 1
    manager = Membership.objects.filter(org=org, user__email="pm@acme.example").first()
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    upcoming = Workshop.objects.create(
        org=org,
        title="Your first post, step by step",
        description="One hour, laptops open: we write and schedule a first post together.",
        language="en",
        starts_at=now + timedelta(days=6, hours=2),
        location="Room Ada, 3rd floor",
        capacity=12,
        created_by=manager,
    )
    past = Workshop.objects.create(
        org=org,
        title="Atelier : trouver sa voix",
        language="fr",
        starts_at=now - timedelta(days=20),
        location="https://meet.example.com/chorus",
        created_by=manager,
    )
    active = list(
        Membership.objects.filter(org=org, participation__status=Participation.Status.ACTIVE)
        .exclude(user__email="ambassador@acme.example")
        .order_by("id")[:8]
    )
    for index, member in enumerate(active):
        WorkshopSignup.objects.create(
            workshop=upcoming if index % 2 else past,
            membership=member,
            attended=None if index % 2 else index % 4 == 0,
        )
    for text, answer in FAQ:
        asker = rng.choice(active) if active else None
        Question.objects.create(
            org=org,
            asked_by=asker,
            text=text,
            language="en",
            answer=answer,
            answered_by=manager,
            answered_at=now - timedelta(days=rng.randint(2, 30)),
            in_faq=True,
            faq_question=text,
            faq_answer=answer,
        )
    if active:
        Question.objects.create(
            org=org, asked_by=active[0], text="Why should I post about the new office?"
        )
    return created + 4
