"""Demo content for Acme: topics, personas, campaigns, ~150 items with captions, paused
sources with curated entries, and suggestions. Needs no internet; idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from chorus.content.models import (
    KPIS_BY_OBJECTIVE,
    Campaign,
    Caption,
    ContentItem,
    CuratedEntry,
    Objective,
    Persona,
    Source,
    Suggestion,
    Topic,
)
from chorus.lib.urls import canonicalize_url
from chorus.orgs.models import Membership, Organization, Role, Team

TOPICS = [
    ("Cloud", "Our cloud platform and what customers build on it"),
    ("Cybersecurity", "Security news, advice and our research"),
    ("Careers", "Life at Acme, jobs and internships"),
    ("Sustainability", "Our climate commitments and progress"),
    ("Artificial intelligence", "AI in our products and in the industry"),
    ("Customer stories", "What our customers achieve"),
    ("Events", "Conferences, webinars and meetups"),
    ("Company news", "Announcements, results and partnerships"),
]
PERSONAS = [
    ("IT decision makers", "CIOs and IT directors in mid-size companies"),
    ("Engineers", "Developers and engineers who could join us"),
    ("Students", "Engineering and business students"),
    ("Partners", "Integrators and resellers"),
]
CAMPAIGNS = [
    ("Acme Cloud launch", Objective.AWARENESS, 5, ["Cloud"], ["IT decision makers"]),
    ("We are hiring engineers", Objective.RECRUITING, 4, ["Careers"], ["Engineers", "Students"]),
    ("Security month", Objective.SOCIAL_SELLING, 3, ["Cybersecurity"], ["IT decision makers"]),
    ("Net zero 2030", Objective.EMPLOYER_BRAND, 2, ["Sustainability"], ["Students"]),
    (
        "Webinar series: AI at work",
        Objective.LEAD_GENERATION,
        4,
        ["Artificial intelligence"],
        ["Partners"],
    ),
]
EN_SUBJECTS = [
    "How {company} cut its cloud bill by {n}%",
    "{n} lessons from our security team",
    "Inside our {city} office",
    "Why we joined the climate pledge",
    "Meet the team behind {product}",
    "What AI changes for {role}s",
    "Our {n}-minute guide to zero trust",
    "Customer story: {company} moves to Acme Cloud",
    "Join us at {event} in {city}",
    "We are hiring a {role} in {city}",
    "Results: {n}% less energy in our data centres",
    "Webinar: AI assistants for {role}s",
]
FR_SUBJECTS = [
    "Comment {company} a réduit sa facture cloud de {n} %",
    "{n} leçons de notre équipe sécurité",
    "Dans les coulisses de notre bureau de {city}",
    "Pourquoi nous avons rejoint l'engagement climat",
    "L'équipe derrière {product}",
    "Ce que l'IA change pour les {role}s",
    "Le zero trust expliqué en {n} minutes",
    "Témoignage : {company} passe à Acme Cloud",
    "Retrouvez-nous à {event} à {city}",
    "Nous recrutons un·e {role} à {city}",
    "Résultats : {n} % d'énergie en moins dans nos centres de données",
    "Webinaire : les assistants IA pour les {role}s",
]
WORDS = {
    "company": ["Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent"],
    "city": ["Lyon", "Paris", "London", "Montréal", "Nantes", "Bordeaux"],
    "product": ["Acme Cloud", "Acme Shield", "Acme Insights"],
    "role": ["developer", "data engineer", "product manager", "designer"],
    "event": ["VivaTech", "Web Summit", "Devoxx", "AWS Summit"],
}
CAPTIONS_EN = [
    "Proud of the team on this one. {title} — worth a read: {url}",
    "{title}. What would you have done differently? {url}",
    "Quick read for anyone in tech: {title} {url} #Acme",
]
CAPTIONS_FR = [
    "Fier·e de l'équipe sur ce sujet. {title} — à lire : {url}",
    "{title}. Qu'auriez-vous fait autrement ? {url}",
    "À lire pour tous ceux qui travaillent dans la tech : {title} {url} #Acme",
]


KINDS_OF_ARTICLE = ["Trends", "Analysis", "Interview", "Report"]


def load_content_demo(org: Organization, rng: random.Random) -> int:
    """Create the demo content once; returns how many rows were added."""
    if ContentItem.objects.filter(org=org).exists():
        return 0
    now = timezone.now()
    created = 0
    topics = {}
    for name, description in TOPICS:
        topics[name], made = Topic.objects.get_or_create(
            org=org, name=name, defaults={"description": description}
        )
        created += made
    personas = {}
    for name, description in PERSONAS:
        personas[name], made = Persona.objects.get_or_create(
            org=org, name=name, defaults={"description": description}
        )
        created += made
    teams = list(Team.objects.filter(org=org))
    pm = Membership.objects.filter(org=org, role=Role.PROGRAM_MANAGER).first()
    campaigns = []
    for index, (name, objective, priority, _topic_names, persona_names) in enumerate(CAMPAIGNS):
        campaign, made = Campaign.objects.get_or_create(
            org=org,
            slug=slugify(name),
            defaults={
                "name": name,
                "objective": objective,
                "priority": priority,
                "description": f"{name}: the programme's {objective.label.lower()} campaign.",
                "starts_on": (now - timedelta(days=30 - index * 10)).date(),
                "ends_on": (now + timedelta(days=30 + index * 15)).date(),
                "target_networks": ["linkedin", "x", "mastodon", "bluesky"][: 2 + index % 3],
                "cta_url": f"https://www.acme.example/{slugify(name)}",
                "kpis": [str(kpi) for kpi in KPIS_BY_OBJECTIVE[objective]],
            },
        )
        if made:
            campaign.target_personas.set([personas[p] for p in persona_names])
            if teams:
                campaign.target_teams.set(teams[index % len(teams) :][:2])
            created += 1
        campaigns.append((campaign, _topic_names))

    items = []
    item_topics = []
    for number in range(150):
        french = number % 3 == 0
        subjects = FR_SUBJECTS if french else EN_SUBJECTS
        values = {key: rng.choice(options) for key, options in WORDS.items()}
        title = subjects[number % len(subjects)].format(n=rng.randint(3, 40), **values)
        item_campaign: Campaign | None = None
        campaign_topics: list[str] = []
        if number % 4:
            item_campaign, campaign_topics = campaigns[number % len(campaigns)]
        slug = slugify(title)[:60]
        url = f"https://www.acme.example/{'fr/' if french else ''}blog/{slug}-{number}"
        kind = [ContentItem.Kind.LINK] * 6 + [
            ContentItem.Kind.JOB,
            ContentItem.Kind.EVENT,
            ContentItem.Kind.VIDEO,
            ContentItem.Kind.TEXT,
        ]
        status = (
            ContentItem.Status.DRAFT
            if number % 17 == 0
            else ContentItem.Status.ARCHIVED
            if number % 23 == 0
            else ContentItem.Status.PUBLISHED
        )
        items.append(
            ContentItem(
                org=org,
                kind=kind[number % len(kind)],
                title=title,
                url=url,
                canonical_url=canonicalize_url(url),
                summary=(
                    "Un article de l'équipe Acme. Partagez-le avec votre point de vue."
                    if french
                    else "A story from the Acme team. Share it with your own take."
                ),
                talking_points=(
                    "Ce que cela change pour nos clients ; votre expérience personnelle."
                    if french
                    else "What this changes for customers; your own experience."
                ),
                engagement_tip=(
                    "Répondez aux commentaires dans l'heure."
                    if french
                    else "Answer comments within the first hour."
                ),
                conversation_starter=(
                    "Et vous, qu'en pensez-vous ?" if french else "What's your take on this?"
                ),
                site_name="Acme",
                language="fr" if french else "en",
                campaign=item_campaign,
                status=status,
                pinned=number in (1, 2),
                internal_only=number % 29 == 0,
                expire_at=now - timedelta(days=1) if number % 31 == 0 else None,
                created_by=pm,
            )
        )
        names = list(campaign_topics) or [TOPICS[number % len(TOPICS)][0]]
        if number % 5 == 0:
            names.append(TOPICS[(number + 3) % len(TOPICS)][0])
        item_topics.append(names)
    ContentItem.objects.bulk_create(items)
    stored = list(ContentItem.objects.filter(org=org).order_by("id"))
    through = ContentItem.topics.through
    through.objects.bulk_create(
        [
            through(contentitem_id=item.pk, topic_id=topics[name].pk)
            for item, names in zip(stored, item_topics, strict=True)
            for name in dict.fromkeys(names)
        ]
    )
    captions = []
    for number, item in enumerate(stored):
        templates = CAPTIONS_FR if item.language == "fr" else CAPTIONS_EN
        networks = ["linkedin", "x", "mastodon", "bluesky"][: 2 + number % 3]
        for index, network in enumerate(networks):
            text = templates[(number + index) % len(templates)].format(
                title=item.title, url=item.url
            )
            if network == "linkedin":
                text += "\n\n" + item.talking_points
            captions.append(
                Caption(org=org, item=item, network=network, language=item.language, text=text)
            )
    Caption.objects.bulk_create(captions)
    created += len(stored) + len(captions)
    created += _sources_demo(org, topics, now)
    created += _suggestions_demo(org, pm, now)
    return created


def _sources_demo(org: Organization, topics: dict[str, Topic], now) -> int:  # type: ignore[no-untyped-def]
    sources = [
        (
            "Acme engineering blog",
            "https://engineering.acme.example/feed.xml",
            ["Cloud", "Artificial intelligence"],
        ),
        ("Security weekly", "https://securityweekly.example/rss", ["Cybersecurity"]),
        ("Green tech news (FR)", "https://greentech.example/fr/atom.xml", ["Sustainability"]),
    ]
    created = 0
    for index, (name, url, topic_names) in enumerate(sources):
        source = Source.objects.create(
            org=org,
            name=name,
            url=url,
            is_active=False,
            feed_title=name,
            last_polled_at=now - timedelta(hours=index + 1),
            last_success_at=now - timedelta(hours=index + 1),
        )
        source.default_topics.set([topics[t] for t in topic_names])
        entries = []
        for number in range(8):
            article = f"{url.rsplit('/', 1)[0]}/2026/{number + 1:02d}/article-{index}-{number}"
            entries.append(
                CuratedEntry(
                    org=org,
                    source=source,
                    guid=article,
                    url=article,
                    canonical_url=canonicalize_url(article),
                    title=f"{name}: {KINDS_OF_ARTICLE[number % 4]} #{number + 1}",
                    summary="An article found by the monitoring of this source.",
                    language="fr" if "FR" in name else "en",
                    published_at=now - timedelta(hours=6 * number + index),
                    status=CuratedEntry.Status.DISMISSED
                    if number == 7
                    else CuratedEntry.Status.NEW,
                )
            )
        CuratedEntry.objects.bulk_create(entries)
        created += 1 + len(entries)
    return created


def _suggestions_demo(org: Organization, pm: Membership | None, now) -> int:  # type: ignore[no-untyped-def]
    ambassadors = list(Membership.objects.filter(org=org, role=Role.AMBASSADOR).order_by("id")[:3])
    if len(ambassadors) < 3:
        return 0
    Suggestion.objects.create(
        org=org,
        suggested_by=ambassadors[0],
        url="https://news.example/acme-award-2026",
        note="Our team won an award, colleagues would love to share it.",
    )
    Suggestion.objects.create(
        org=org,
        suggested_by=ambassadors[1],
        text="Idée : un post sur notre journée portes ouvertes à Lyon.",
        note="Pour le recrutement.",
    )
    Suggestion.objects.create(
        org=org,
        suggested_by=ambassadors[2],
        url="https://blog.example/competitor-review",
        status=Suggestion.Status.DECLINED,
        decided_by=pm,
        decided_at=now - timedelta(days=2),
        decline_reason="It promotes a competitor's product; thanks for thinking of us!",
    )
    return 3
