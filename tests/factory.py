"""The tests' one factory module: each function makes one object (or one history) with
sensible defaults, overridable by keyword. `populate_org` puts one object of every kind in an
organisation, for the tests that walk every route."""

from __future__ import annotations

import io
import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from PIL import Image

from chorus.analytics.figures import Scope, breakdown, settings_for
from chorus.analytics.figures import totals as figures_totals
from chorus.analytics.models import DirtyDay
from chorus.analytics.rollups import rebuild
from chorus.api.models import Token
from chorus.api.tokens import do_create_token
from chorus.coaching.models import CoachingNote, CoachingReply
from chorus.content.actions import do_add_image
from chorus.content.models import (
    Campaign,
    Caption,
    ContentImage,
    ContentItem,
    CuratedEntry,
    ImportJob,
    Objective,
    Persona,
    Source,
    Suggestion,
    Topic,
)
from chorus.engage.models import (
    BadgeAward,
    Challenge,
    ChallengeResult,
    LeaderboardPreference,
    PointsEntry,
    PointsRules,
)
from chorus.feed.models import AmbassadorProfile
from chorus.lib.images import clean_upload
from chorus.links.actions import link_for
from chorus.links.ingest import rebuild_days
from chorus.links.models import Click, Conversion, TrackedLink
from chorus.notify.models import Notification
from chorus.orgs.models import Membership, Organization, Role, Team
from chorus.program.models import (
    HealthThresholds,
    Participation,
    Question,
    Resource,
    ResourceText,
    Workshop,
)
from chorus.scim.tokens import do_create_scim_token
from chorus.sharing.models import (
    Connection,
    EngagementSnapshot,
    EngagementTask,
    EngagementTaskDone,
    Share,
)

PASSWORD = "correct-horse-battery-staple"
_numbers = itertools.count(1)


def make_user(email: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    number = next(_numbers)
    fields.setdefault("first_name", f"Person{number}")
    fields.setdefault("last_name", "Example")
    return get_user_model().objects.create_user(
        email or f"person{number}@example.com", password=PASSWORD, **fields
    )


def make_org(name: str | None = None, slug: str | None = None) -> Organization:
    number = next(_numbers)
    return Organization.objects.create(name=name or f"Org {number}", slug=slug or f"org-{number}")


def make_team(
    org: Organization, name: str | None = None, manager: Membership | None = None
) -> Team:
    return Team.objects.create(org=org, name=name or f"Team {next(_numbers)}", manager=manager)


def make_member(
    org: Organization,
    role: str = Role.AMBASSADOR,
    user: Any = None,
    team: Team | None = None,
    *,
    programme: str | None = "active",
    **fields: Any,
) -> Membership:
    """A member; by default they opted in to the programme (programme=None: never invited)."""

    member = Membership.objects.create(
        org=org, user=user or make_user(), role=role, team=team, **fields
    )
    if programme is not None:
        Participation.objects.create(
            org=org,
            membership=member,
            status=programme,
            opted_in_at=timezone.now() if programme == "active" else None,
        )
    return member


def make_token(membership: Membership, name: str = "test") -> tuple[Token, str]:
    return do_create_token(membership, name)


# --- Content hub ---


def make_topic(org: Organization, name: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]

    return Topic.objects.create(org=org, name=name or f"Topic {next(_numbers)}", **fields)


def make_campaign(org: Organization, name: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]

    number = next(_numbers)
    fields.setdefault("objective", Objective.AWARENESS)
    fields.setdefault("slug", f"campaign-{number}")
    return Campaign.objects.create(org=org, name=name or f"Campaign {number}", **fields)


def make_item(org: Organization, title: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]

    number = next(_numbers)
    fields.setdefault("url", f"https://www.example.com/articles/{number}")
    fields.setdefault("canonical_url", fields["url"])
    fields.setdefault("status", ContentItem.Status.PUBLISHED)
    fields.setdefault("language", "en")
    return ContentItem.objects.create(org=org, title=title or f"Article {number}", **fields)


def image_bytes(
    size: tuple[int, int] = (640, 480), image_format: str = "JPEG", *, gps: bool = False
) -> bytes:
    """A real image with varied pixels; `gps` adds EXIF with a camera and a location."""
    image = Image.new("RGB", size)
    image.putdata(
        [
            ((x * 7) % 256, (y * 5) % 256, (x * y) % 256)
            for y in range(size[1])
            for x in range(size[0])
        ]
    )
    options: dict[str, Any] = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 1  # Orientation: upright
        exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo
        options["exif"] = exif.tobytes()
    output = io.BytesIO()
    image.save(output, format=image_format, **options)
    return output.getvalue()


def make_image(
    item: Any, *, alt_en: str = "A bar chart of hiring by region", alt_fr: str = "", **options: Any
):  # type: ignore[no-untyped-def]
    """An image to post with `item`, stored cleaned in MEDIA_ROOT (the test sets a folder)."""
    actor = Membership.objects.filter(org=item.org).first()
    return do_add_image(
        actor, item, clean_upload(image_bytes(**options)), alt_en=alt_en, alt_fr=alt_fr
    )


def make_caption(item: Any, network: str = "linkedin", text: str = "Worth a read", **fields: Any):  # type: ignore[no-untyped-def]

    fields.setdefault("language", "en")
    return Caption.objects.create(org=item.org, item=item, network=network, text=text, **fields)


def make_source(org: Organization, url: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]

    number = next(_numbers)
    return Source.objects.create(
        org=org,
        name=fields.pop("name", f"Source {number}"),
        url=url or f"https://feeds.example.com/{number}.xml",
        **fields,
    )


def make_entry(source: Any, url: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]

    number = next(_numbers)
    url = url or f"https://news.example.com/{number}"
    return CuratedEntry.objects.create(
        org=source.org,
        source=source,
        guid=url,
        url=url,
        canonical_url=url,
        title=fields.pop("title", f"Entry {number}"),
        **fields,
    )


def make_suggestion(member: Membership, url: str = "https://www.example.com/idea", **fields: Any):  # type: ignore[no-untyped-def]

    return Suggestion.objects.create(org=member.org, suggested_by=member, url=url, **fields)


def populate_org(org: Organization, member: Membership) -> None:
    """One object of every kind in the organisation, for tests that walk every route."""

    topic = make_topic(org)
    item = make_item(org, campaign=make_campaign(org))
    item.topics.add(topic)
    make_caption(item)
    # A row is enough to walk the routes: no file is written.
    ContentImage.objects.create(
        org=org, item=item, file="content/media/sample.png", width=8, height=8, alt_en="A chart"
    )
    Persona.objects.create(org=org, name=f"Persona {next(_numbers)}")
    make_entry(make_source(org))
    make_suggestion(member)

    ImportJob.objects.create(org=org, created_by=member, filename="items.csv")

    link_for(member, "linkedin", item=item)
    make_resource(org)
    make_workshop(org)
    make_question(member)

    # Personal rows belong to the organisation's admin, who walks the routes.
    owner = Membership.objects.filter(org=org, role=Role.ORG_ADMIN).first() or member
    Notification.objects.create(org=org, membership=owner, kind="nudge", message="Hello")
    make_share(owner, item, connection=make_connection(owner, "mastodon"))
    task = EngagementTask.objects.create(
        org=org, network="mastodon", post_url="https://mastodon.example/@acme/1", action="reply"
    )
    EngagementTaskDone.objects.create(
        org=org, task=task, membership=owner, action="reply", method="marked", text="Well said"
    )

    do_create_scim_token(org, None, "directory")
    _populate_analytics(org, member)
    _populate_coaching(org, member)
    _populate_engage(org, member)
    _populate_health(org, member)
    _populate_metrics(org, member)


def make_resource(
    org: Organization, *, is_guide: bool = False, titles: dict[str, str] | None = None
) -> Any:

    resource = Resource.objects.create(
        org=org, is_guide=is_guide, kind="guide" if is_guide else "article"
    )
    for language, title in (titles or {"en": f"Resource {next(_numbers)}"}).items():
        ResourceText.objects.create(resource=resource, language=language, title=title, body="Text")
    return resource


def make_workshop(org: Organization, *, days: int = 7, capacity: int | None = None) -> Any:

    return Workshop.objects.create(
        org=org,
        title=f"Workshop {next(_numbers)}",
        starts_at=timezone.now() + timedelta(days=days),
        capacity=capacity,
    )


def make_question(member: Membership, text: str = "Am I allowed to post about this?") -> Any:

    return Question.objects.create(org=member.org, asked_by=member, text=text)


def make_connection(member: Membership, network: str = "mastodon", **credentials: Any) -> Any:

    return Connection.objects.create(
        org=member.org,
        membership=member,
        network=network,
        handle=f"@{member.user.email.split('@')[0]}",
        credentials=credentials or {"access_token": "secret-token"},
    )


def make_share(member: Membership, item: Any, *, network: str = "mastodon", **fields: Any) -> Any:

    fields.setdefault("text", f"{item.title} https://example.com/")
    return Share.objects.create(
        org=member.org, membership=member, item=item, network=network, **fields
    )


# --- Analytics ---


NETWORKS = ["linkedin", "x", "mastodon", "bluesky", "email"]
SIZES = ["small", "medium", "large", "huge"]


def _populate_analytics(org: Any, member: Any) -> None:
    """One object of each analytics model in the organisation, for the isolation walk."""

    now = timezone.now()
    share = make_share(member, make_item(org), network="linkedin")
    Share.objects.filter(pk=share.pk).update(status=Share.Status.PUBLISHED, published_at=now)
    Conversion.objects.create(org=org, kind="lead", occurred_at=now, ambassador=member)
    rebuild(org)
    settings_for(org.pk)
    DirtyDay.objects.get_or_create(org=org, day=now.date())


@dataclass
class Dataset:
    """What `make_dataset` made, for tests that compute figures from raw events."""

    people: list[Any] = field(default_factory=list)
    teams: list[Any] = field(default_factory=list)
    campaigns: list[Any] = field(default_factory=list)
    items: list[Any] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)


def make_dataset(
    org: Any, today: date, seed: int = 7, shares: int = 260, clicks: int = 1800
) -> Dataset:
    """A seeded organisation's history over ~5 months: teams, people with profiles and
    opt-in dates, campaigns of several objectives, items, published shares (and others
    that must not count), tracked links with human and bot clicks, and conversions."""

    rng = random.Random(seed)
    data = Dataset()
    moment = datetime.combine(today, datetime.min.time(), UTC)
    existing = list(org.teams.all())
    data.teams = [*existing, make_team(org, "Engineering"), make_team(org, "Marketing")]
    for number in range(14):
        team = None if number % 7 == 6 else data.teams[number % len(data.teams)]
        member = Membership.objects.create(
            org=org, user=make_user(), role=Role.AMBASSADOR, team=team
        )
        status = rng.choice(["active"] * 8 + ["invited", "declined", "left"])
        opted = None
        if status in ("active", "left"):
            opted = moment - timedelta(days=rng.randint(0, 170), hours=rng.randint(0, 23))
        participation = Participation.objects.create(org=org, membership=member, status=status)
        Participation.objects.filter(pk=participation.pk).update(
            opted_in_at=opted,
            invited_at=(opted or moment) - timedelta(days=rng.randint(0, 20)),
        )
        data.people.append(member)
    # The test base's people too (their participations were made "now").
    for member in Membership.objects.filter(org=org).exclude(pk__in=[p.pk for p in data.people]):
        Participation.objects.filter(membership=member).update(
            opted_in_at=moment - timedelta(days=rng.randint(0, 120)),
            invited_at=moment - timedelta(days=130),
        )
        data.people.append(member)
    for member in data.people:
        if rng.random() < 0.85:
            networks = {
                network: {"size": rng.choice(SIZES), "who": ["peers"]}
                for network in rng.sample(NETWORKS[:4], rng.randint(1, 3))
            }
            AmbassadorProfile.objects.create(org=org, membership=member, networks=networks)
    data.campaigns = [
        make_campaign(org, "Launch", objective=Objective.AWARENESS),
        make_campaign(
            org, "Hiring", objective=Objective.RECRUITING, kpis=["clicks", "applications"]
        ),
        make_campaign(org, "Webinars", objective=Objective.LEAD_GENERATION),
        make_campaign(org, "Culture", objective=Objective.EMPLOYER_BRAND),
    ]
    for number in range(10):
        campaign = data.campaigns[number % 4] if number < 8 else None
        data.items.append(make_item(org, campaign=campaign))

    statuses = [Share.Status.PUBLISHED] * 9 + [Share.Status.FAILED, Share.Status.SCHEDULED]
    batch = []
    for _ in range(shares):
        member = rng.choice(data.people)
        status = rng.choice(statuses)
        published = moment + timedelta(hours=12) - timedelta(minutes=rng.randint(0, 150 * 24 * 60))
        batch.append(
            Share(
                org=org,
                membership=member,
                item=rng.choice(data.items),
                network=rng.choice(NETWORKS),
                method=rng.choice(["api", "intent"]),
                text="A post",
                status=status,
                published_at=published if status == Share.Status.PUBLISHED else None,
                originality=None if rng.random() < 0.1 else round(rng.random(), 2),
                near_duplicates=rng.choice([0, 0, 0, 1, 2]),
            )
        )
    # An anonymised share (the person left and asked for it).
    batch.append(
        Share(
            org=org,
            membership=None,
            item=data.items[0],
            network="linkedin",
            text="Anonymised",
            status=Share.Status.PUBLISHED,
            published_at=moment - timedelta(days=3),
            originality=0.9,
        )
    )
    Share.objects.bulk_create(batch)

    for member in data.people:
        for item in rng.sample(data.items, 3):
            network = rng.choice(NETWORKS[:4])
            data.links.append(
                TrackedLink.objects.create(
                    org=org,
                    ambassador=member,
                    item=item,
                    network=network,
                    url=item.url,
                    destination=item.url,
                    campaign=item.campaign,
                )
            )
    anonymous_link = TrackedLink.objects.create(
        org=org,
        ambassador=None,
        item=None,
        network="x",
        url="https://www.example.com/x",
        destination="https://www.example.com/x",
    )
    data.links.append(anonymous_link)
    visitors = [uuid.uuid4().hex for _ in range(300)]
    click_rows: list[Any] = []
    for _ in range(clicks):
        if click_rows and rng.random() < 0.25:
            # The same visitor comes back to the same link a little later.
            earlier = rng.choice(click_rows)
            link, visitor = earlier.link, earlier.visitor
            occurred = min(
                earlier.occurred_at + timedelta(minutes=rng.randint(1, 90)),
                moment + timedelta(hours=12),
            )
        else:
            link, visitor = rng.choice(data.links), rng.choice(visitors)
            occurred = (
                moment + timedelta(hours=12) - timedelta(minutes=rng.randint(0, 150 * 24 * 60))
            )
        click_rows.append(
            Click(
                org=org,
                link=link,
                event_id=uuid.uuid4().hex,
                occurred_at=occurred,
                visitor=visitor,
                is_bot=rng.random() < 0.2,
            )
        )
    Click.objects.bulk_create(click_rows)
    rebuild_days(
        {(click.link_id, click.occurred_at.astimezone(UTC).date()) for click in click_rows}
    )
    human = [click for click in click_rows if not click.is_bot]
    for number, click in enumerate(rng.sample(human, 40)):
        link = next(link for link in data.links if link.pk == click.link_id)
        Conversion.objects.create(
            org=org,
            kind=rng.choice(["lead", "lead", "signup", "purchase", "custom"]),
            value=rng.choice([None, Decimal("0"), Decimal("49.90"), Decimal("120.05")]),
            currency="EUR",
            external_id=f"crm-{number}",
            occurred_at=click.occurred_at + timedelta(minutes=rng.randint(1, 600)),
            click=click,
            link=link,
            ambassador_id=link.ambassador_id,
            item_id=link.item_id,
            campaign_id=link.campaign_id,
            network=link.network,
        )
    # A conversion attributed to nobody.
    Conversion.objects.create(
        org=org, kind="lead", value=Decimal("10.00"), occurred_at=moment - timedelta(days=2)
    )
    return data


# --- Coaching ---


def make_note(
    author: Any, subject: Any, text: str = "Nice angle on this one.", **fields: Any
) -> Any:

    return CoachingNote.objects.create(
        org=subject.org, author=author, subject=subject, text=text, **fields
    )


def make_reply(note: Any, author: Any, text: str = "Thanks!") -> Any:

    return CoachingReply.objects.create(org=note.org, note=note, author=author, text=text)


def _populate_coaching(org: Any, member: Any) -> None:
    """One object of each coaching model in the organisation, for the isolation walk.

    The note is written by the organisation's admin (who walks the routes) to `member`:
    notes are private to their two parties, so only they reach it."""

    admin = Membership.objects.filter(org=org, role=Role.ORG_ADMIN).order_by("pk").first()
    note = make_note(admin or member, member)
    make_reply(note, member)


# --- Engage ---


_events = itertools.count(1)


def published_share(
    member: Any,
    item: Any,
    *,
    originality: float,
    near_duplicates: int = 0,
    at: datetime | None = None,
    **fields: Any,
) -> Any:
    """A share published at `at` (now by default) with the given originality figures."""

    return make_share(
        member,
        item,
        status=Share.Status.PUBLISHED,
        published_at=at or timezone.now(),
        originality=originality,
        near_duplicates=near_duplicates,
        **fields,
    )


def clicks(link: Any, *, humans: int = 0, bots: int = 0, at: datetime | None = None) -> None:
    """`humans` distinct visitors and `bots` crawler hits on a link, then the daily rollup."""

    when = at or timezone.now()
    for number in range(humans + bots):
        is_bot = number >= humans
        Click.objects.create(
            org=link.org,
            link=link,
            event_id=f"engage-{next(_events)}",
            occurred_at=when,
            visitor=f"visitor-{number}",
            is_bot=is_bot,
            bot_reason="LinkedInBot" if is_bot else "",
        )
    rebuild_days({(link.pk, when.astimezone(UTC).date())})


def make_challenge(org: Any, **fields: Any) -> Any:

    today = timezone.localdate()
    fields.setdefault("title", "Spring voices")
    fields.setdefault("metric", Challenge.Metric.ORIGINAL_SHARES)
    fields.setdefault("target", 3)
    fields.setdefault("starts_on", today)
    fields.setdefault("ends_on", today + timedelta(days=14))
    return Challenge.objects.create(org=org, **fields)


def _populate_engage(org: Any, member: Any) -> None:
    """One object of each engage model in the organisation, for the isolation walk."""

    PointsRules.objects.get_or_create(org=org)
    PointsEntry.objects.get_or_create(
        org=org,
        membership=member,
        kind="onboarding",
        source_type="onboarding",
        source_id="profile",
        defaults={"day": timezone.localdate(), "points": 5, "points_before_cap": 5},
    )
    BadgeAward.objects.get_or_create(org=org, membership=member, badge="workshop")
    LeaderboardPreference.objects.get_or_create(org=org, membership=member)
    challenge = make_challenge(org)
    ChallengeResult.objects.create(org=org, challenge=challenge, membership=member, progress=1)


# --- Health ---


def _populate_health(org: Any, member: Any) -> None:
    """One object of each health model in the organisation, for the isolation walk."""

    HealthThresholds.objects.get_or_create(org=org)


def publish(
    member: Membership | None,
    item: Any,
    at: datetime,
    *,
    originality: float | None = 0.8,
    near_duplicates: int = 0,
    **fields: Any,
) -> Any:
    """A share of `item` published at `at` (its creation time set to match)."""

    share = Share.objects.create(
        org=item.org,
        membership=member,
        item=item,
        network=fields.pop("network", "mastodon"),
        text=fields.pop("text", f"My take on {item.title}"),
        status=Share.Status.PUBLISHED,
        published_at=at,
        originality=originality,
        near_duplicates=near_duplicates,
        **fields,
    )
    Share.objects.filter(pk=share.pk).update(created_at=at)
    return share


def backdate(instance: Any, **fields: datetime) -> Any:
    """Set auto_now_add timestamps (created_at, invited_at…) to the given moments."""
    type(instance).objects.filter(pk=instance.pk).update(**fields)
    instance.refresh_from_db()
    return instance


# --- Metrics ---


def _populate_metrics(org: Any, member: Any) -> None:
    """One object of each metrics model in the organisation, for the isolation walk."""

    published_at = timezone.now() - timedelta(hours=2)
    share = make_share(
        member,
        make_item(org),
        status=Share.Status.PUBLISHED,
        published_at=published_at,
        remote_id="109876543210",
    )
    EngagementSnapshot.objects.create(
        org=org, share=share, taken_at=published_at + timedelta(hours=1), reactions=3, comments=1
    )


# --- Results attributed to people (the figures that must survive erasure and deprovisioning) ---


def make_attributed_results(org: Organization, members: list[Membership]) -> None:
    """For each member: a tracked link, a published share with engagement, three people's
    clicks and a bot's, and a lead worth 12.50; then the rollups rebuilt."""
    for member in members:
        item = make_item(org)
        link = TrackedLink.objects.create(
            org=org,
            ambassador=member,
            item=item,
            network="linkedin",
            url=item.url,
            destination=item.url,
        )
        share = published_share(member, item, originality=0.9, network="linkedin", link=link)
        EngagementSnapshot.objects.create(org=org, share=share, reactions=4, comments=2)
        clicks(link, humans=3, bots=1)
        Conversion.objects.create(
            org=org,
            kind="lead",
            occurred_at=timezone.now(),
            ambassador=member,
            link=link,
            value=Decimal("12.50"),
        )
    rebuild(org)


def last_30_days_figures(org: Organization, *, with_reach: bool = True) -> dict[str, Any]:
    """The organisation's totals and per-network figures over the last 30 days
    (`with_reach=False`: without the reach, which comes from people's profiles)."""
    scope = Scope.last_days(org.pk, 30)
    totals = figures_totals(scope).as_dict()
    by_network = {row.key: row.measures.as_dict() for row in breakdown(scope, "network")}
    if not with_reach:
        for measures in (totals, *by_network.values()):
            measures.pop("potential_reach")
    return {"totals": totals, "networks": by_network}
