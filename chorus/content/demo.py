"""Demo content for Acme: topics, personas, campaigns, ~150 items with captions, paused
sources with curated entries, and suggestions. Needs no internet; idempotent."""

from __future__ import annotations

import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.text import slugify
from PIL import Image, ImageDraw

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
# (title, summary): each story once per set of words, so no two cards read alike.
EN_STORIES = [
    (
        "How {company} cut its cloud bill without slowing a release",
        "{company}'s platform team explains what they measured first and what they switched off.",
    ),
    (
        "What our security team learnt from a year of phishing drills",
        "Click rates fell from one in five to one in twenty-five. Here is what made the "
        "difference.",
    ),
    (
        "Inside our {city} office: a day with the support team",
        "Coffee, escalations and a wall of thank-you cards: the people who answer when you call.",
    ),
    (
        "Why we signed the Climate Pledge, and what it commits us to",
        "Net zero by 2030 means choices this year. Our head of sustainability walks through them.",
    ),
    (
        "Meet the team behind {product}",
        "Eleven people, three countries, one roadmap: how {product} is built and who builds it.",
    ),
    (
        "What AI assistants change for a {role}'s week",
        "We asked five colleagues to keep a diary for a month. The surprises were not where "
        "expected.",
    ),
    (
        "Zero trust, explained over one cup of coffee",
        "No jargon: what zero trust means for your laptop, your badge and your Monday morning.",
    ),
    (
        "Customer story: {company} moves its data to Acme Cloud",
        "Forty terabytes, a weekend cut-over and no downtime. Their CTO tells the story.",
    ),
    (
        "Come and meet us at {event}",
        "Our engineers will demo {product} and answer questions on the stand all week.",
    ),
    (
        "We are hiring a {role} in {city}",
        "Join a team that ships every week. Hybrid work, mentoring, and a real say in the roadmap.",
    ),
    (
        "Our data centres now run on renewable power",
        "The last site switched in March. What it took, and what is still left to do.",
    ),
    (
        "Webinar: putting AI to work safely in {industry}",
        "A practical hour with our experts and a customer from {industry}. Questions welcome.",
    ),
    (
        "Five questions to ask before you pick a cloud provider",
        "Portability, exit costs, support hours: a checklist our architects use with customers.",
    ),
    (
        "Our 2026 graduate programme opens today",
        "Two years, three rotations, one mentor. Applications close at the end of the month.",
    ),
    (
        "{company} and Acme: a new partnership for {industry}",
        "Together we will help {industry} teams move faster with fewer tools to maintain.",
    ),
    (
        "The hidden cost of unpatched laptops",
        "One missed update can cost more than a year of licences. How to avoid it without nagging.",
    ),
    (
        "Behind the scenes of our accessibility review",
        "We tested {product} with screen readers and keyboard only. What we fixed, and what's "
        "next.",
    ),
    (
        "Ask an engineer: how do we keep {product} fast?",
        "Caching, budgets and a culture of measuring: our performance lead answers your questions.",
    ),
    (
        "Repair, reuse, recycle: where our old laptops go",
        "Last year 1,200 devices found a second life. A local charity tells us what they became.",
    ),
    (
        "A {role}'s first ninety days at Acme",
        "What onboarding looks like from the inside, told by someone who just went through it.",
    ),
    (
        "Acme Insights now speaks your language",
        "Reports in eleven languages, with dates and figures the way your team reads them.",
    ),
    (
        "Lessons from a weekend hackathon in {city}",
        "Forty-eight hours, nineteen teams and one winning idea that is now on our roadmap.",
    ),
    (
        "How {company} trains its people on generative AI",
        "Short lessons, real tasks and clear rules: a programme others can copy.",
    ),
    (
        "Security advisory: what to do about the new browser flaw",
        "Our team's guidance for customers, updated as the vendors release their fixes.",
    ),
    (
        "Women in engineering: our mentoring circle turns three",
        "Sixty mentees so far. Three of them tell what changed in their careers.",
    ),
    (
        "Our quarterly results in one page",
        "Growth in every region, more customers on {product}, and what we invest in next.",
    ),
    (
        "From intern to team lead in {city}",
        "A career at Acme, told by a colleague who started here as an intern four years ago.",
    ),
    (
        "Cutting emissions from our fleet by half",
        "Electric vans, smarter routes and fewer trips: the results after eighteen months.",
    ),
    (
        "Everything we announced at {event}",
        "New features in {product}, two partnerships and a preview of what comes this autumn.",
    ),
    (
        "Backup is not a strategy: planning for the worst day",
        "Our incident team on recovery drills, and why the first hour decides everything.",
    ),
]
FR_STORIES = [
    (
        "Comment {company} a réduit sa facture cloud sans ralentir ses mises en production",
        "L'équipe plateforme de {company} raconte ce qu'elle a mesuré d'abord et ce qu'elle a "
        "éteint.",
    ),
    (
        "Un an d'exercices anti-hameçonnage : ce que notre équipe sécurité a appris",
        "Le taux de clic est passé d'un sur cinq à un sur vingt-cinq. Voici ce qui a tout changé.",
    ),
    (
        "Dans les coulisses de notre bureau de {city}",
        "Café, urgences et un mur de mots de remerciement : ceux qui répondent quand vous appelez.",
    ),
    (
        "Pourquoi nous avons rejoint l'engagement climat",
        "Zéro émission nette en 2030, ce sont des choix dès cette année. Notre responsable "
        "RSE les détaille.",
    ),
    (
        "L'équipe derrière {product}",
        "Onze personnes, trois pays, une feuille de route : comment {product} est construit.",
    ),
    (
        "Ce que les assistants IA changent dans la semaine d'un·e {role_fr}",
        "Cinq collègues ont tenu un journal pendant un mois. Les surprises n'étaient pas où "
        "on les attendait.",
    ),
    (
        "Le zero trust expliqué le temps d'un café",
        "Sans jargon : ce que le zero trust change pour votre ordinateur, votre badge et "
        "votre lundi matin.",
    ),
    (
        "Témoignage : {company} passe à Acme Cloud",
        "Quarante téraoctets, une bascule en un week-end et aucune interruption. Leur DSI raconte.",
    ),
    (
        "Retrouvez-nous à {event}",
        "Nos ingénieurs présenteront {product} et répondront à vos questions toute la semaine.",
    ),
    (
        "Nous recrutons un·e {role_fr} à {city}",
        "Rejoignez une équipe qui livre chaque semaine. Travail hybride, mentorat, et votre "
        "mot à dire.",
    ),
    (
        "Nos centres de données tournent désormais aux énergies renouvelables",
        "Le dernier site a basculé en mars. Ce qu'il a fallu faire, et ce qui reste à faire.",
    ),
    (
        "Webinaire : l'IA au travail, en toute sécurité",
        "Une heure concrète avec nos experts et un client. Vos questions sont les bienvenues.",
    ),
    (
        "Réparer, réemployer, recycler : la seconde vie de nos ordinateurs",
        "L'an dernier, 1 200 appareils ont trouvé une seconde vie. Une association locale raconte.",
    ),
    (
        "Les 90 premiers jours d'un·e {role_fr} chez Acme",
        "L'intégration vue de l'intérieur, racontée par quelqu'un qui vient de la vivre.",
    ),
    (
        "Nos résultats trimestriels en une page",
        "Croissance dans toutes les régions, plus de clients sur {product}, et nos "
        "investissements à venir.",
    ),
]
WORDS = {
    "company": ["Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Soylent", "Stark"],
    "city": ["Lyon", "Paris", "London", "Montréal", "Nantes", "Bordeaux", "Lille"],
    "product": ["Acme Cloud", "Acme Shield", "Acme Insights"],
    "role": ["developer", "data engineer", "product manager", "designer"],
    "role_fr": ["développeur·se", "ingénieur·e data", "chef·fe de produit", "designer"],
    "industry": ["retail", "healthcare", "logistics", "banking", "public services"],
    "event": ["VivaTech", "Web Summit", "Devoxx", "AWS Summit", "Cloud Expo Europe"],
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

# A colour per topic for the generated card images (two tones of one hue).
TOPIC_COLOURS = {
    "Cloud": ((37, 99, 235), (147, 197, 253)),
    "Cybersecurity": ((30, 41, 59), (100, 116, 139)),
    "Careers": ((194, 65, 12), (253, 186, 116)),
    "Sustainability": ((21, 128, 61), (134, 239, 172)),
    "Artificial intelligence": ((109, 40, 217), (196, 181, 253)),
    "Customer stories": ((190, 18, 60), (253, 164, 175)),
    "Events": ((161, 98, 7), (253, 224, 71)),
    "Company news": ((15, 118, 110), (94, 234, 212)),
}
IMAGE_SIZE = (640, 336)  # the 1.91:1 of link previews, small enough to load at once
IMAGES_PER_TOPIC = 3


def demo_image(topic: str, variant: int) -> bytes:
    """A small abstract picture in the topic's colours, drawn here: no network, and the
    same bytes on every machine."""
    dark, light = TOPIC_COLOURS.get(topic, ((55, 65, 81), (209, 213, 219)))
    width, height = IMAGE_SIZE
    image = Image.new("RGB", IMAGE_SIZE, dark)
    draw = ImageDraw.Draw(image)
    for row in range(height):  # a vertical gradient from the dark tone to a mix of both
        mix = row / height * 0.6
        draw.line(
            [(0, row), (width, row)],
            fill=tuple(round(d + (li - d) * mix) for d, li in zip(dark, light, strict=True)),
        )
    shapes = random.Random(f"{topic}-{variant}")  # noqa: S311 - a picture, not a secret
    for _ in range(5 + variant):
        x, y = shapes.randrange(width), shapes.randrange(height)
        radius = shapes.randrange(30, 140)
        box = [x - radius, y - radius, x + radius, y + radius]
        if shapes.random() < 0.5:
            draw.ellipse(box, outline=light, width=6)
        else:
            draw.rectangle(
                box, fill=light if shapes.random() < 0.3 else None, outline=light, width=4
            )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70, optimize=True)
    return out.getvalue()


def _demo_images() -> dict[str, list[str]]:
    """The stored names of each topic's demo images, drawn and saved the first time."""
    names: dict[str, list[str]] = {}
    for topic in TOPIC_COLOURS:
        names[topic] = []
        for variant in range(IMAGES_PER_TOPIC):
            name = f"content/demo/{slugify(topic)}-{variant + 1}.jpg"
            if not default_storage.exists(name):
                name = default_storage.save(name, ContentFile(demo_image(topic, variant)))
            names[topic].append(name)
    return names


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

    images = _demo_images()
    items = []
    item_topics = []
    titles: set[str] = set()
    for number in range(150):
        french = number % 3 == 0
        stories = FR_STORIES if french else EN_STORIES
        # Each story once, then more of those that vary (jobs, events, customers, cities),
        # with words not used yet: every title is its own.
        order = number // 3 if french else number - number // 3 - 1
        if order < len(stories):
            candidates = [stories[order]]
        else:
            varied = [story for story in stories if "{" in story[0]]
            start = order % len(varied)
            candidates = varied[start:] + varied[:start]
        title = ""
        for story in candidates:
            for _attempt in range(30):
                values = {key: rng.choice(options) for key, options in WORDS.items()}
                title = story[0].format(**values)
                if title not in titles:
                    break
            if title not in titles:
                break
        titles.add(title)
        summary = story[1].format(**values)
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
                summary=summary,
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
        # Text posts have no picture (the feed shows its placeholder), the rest have one.
        if items[-1].kind != ContentItem.Kind.TEXT:
            items[-1].image.name = images[names[0]][number % IMAGES_PER_TOPIC]
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
