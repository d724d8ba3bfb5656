"""Tiny factories: each makes one object with sensible defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model

from chorus.api.models import Token
from chorus.api.tokens import do_create_token
from chorus.orgs.models import Membership, Organization, Role, Team

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
    from django.utils import timezone

    from chorus.program.models import Participation

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
    from chorus.content.models import Topic

    return Topic.objects.create(org=org, name=name or f"Topic {next(_numbers)}", **fields)


def make_campaign(org: Organization, name: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    from chorus.content.models import Campaign, Objective

    number = next(_numbers)
    fields.setdefault("objective", Objective.AWARENESS)
    fields.setdefault("slug", f"campaign-{number}")
    return Campaign.objects.create(org=org, name=name or f"Campaign {number}", **fields)


def make_item(org: Organization, title: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    from chorus.content.models import ContentItem

    number = next(_numbers)
    fields.setdefault("url", f"https://www.example.com/articles/{number}")
    fields.setdefault("canonical_url", fields["url"])
    fields.setdefault("status", ContentItem.Status.PUBLISHED)
    fields.setdefault("language", "en")
    return ContentItem.objects.create(org=org, title=title or f"Article {number}", **fields)


def make_caption(item: Any, network: str = "linkedin", text: str = "Worth a read", **fields: Any):  # type: ignore[no-untyped-def]
    from chorus.content.models import Caption

    fields.setdefault("language", "en")
    return Caption.objects.create(org=item.org, item=item, network=network, text=text, **fields)


def make_source(org: Organization, url: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    from chorus.content.models import Source

    number = next(_numbers)
    return Source.objects.create(
        org=org,
        name=fields.pop("name", f"Source {number}"),
        url=url or f"https://feeds.example.com/{number}.xml",
        **fields,
    )


def make_entry(source: Any, url: str | None = None, **fields: Any):  # type: ignore[no-untyped-def]
    from chorus.content.models import CuratedEntry

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
    from chorus.content.models import Suggestion

    return Suggestion.objects.create(org=member.org, suggested_by=member, url=url, **fields)


def populate_org(org: Organization, member: Membership) -> None:
    """One object of every kind in the organisation, for tests that walk every route."""
    from chorus.content.models import Persona

    topic = make_topic(org)
    item = make_item(org, campaign=make_campaign(org))
    item.topics.add(topic)
    make_caption(item)
    Persona.objects.create(org=org, name=f"Persona {next(_numbers)}")
    make_entry(make_source(org))
    make_suggestion(member)
    from chorus.content.models import ImportJob

    ImportJob.objects.create(org=org, created_by=member, filename="items.csv")
    from chorus.links.actions import link_for

    link_for(member, "linkedin", item=item)
    make_resource(org)
    make_workshop(org)
    make_question(member)
    from chorus.notify.models import Notification

    # Personal rows belong to the organisation's admin, who walks the routes.
    owner = Membership.objects.filter(org=org, role=Role.ORG_ADMIN).first() or member
    Notification.objects.create(org=org, membership=owner, kind="nudge", message="Hello")
    make_share(owner, item, connection=make_connection(owner, "mastodon"))
    from chorus.scim.tokens import do_create_scim_token

    do_create_scim_token(org, None, "directory")
    populate_results(org, member)


def make_resource(
    org: Organization, *, is_guide: bool = False, titles: dict[str, str] | None = None
) -> Any:
    from chorus.program.models import Resource, ResourceText

    resource = Resource.objects.create(
        org=org, is_guide=is_guide, kind="guide" if is_guide else "article"
    )
    for language, title in (titles or {"en": f"Resource {next(_numbers)}"}).items():
        ResourceText.objects.create(resource=resource, language=language, title=title, body="Text")
    return resource


def make_workshop(org: Organization, *, days: int = 7, capacity: int | None = None) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from chorus.program.models import Workshop

    return Workshop.objects.create(
        org=org,
        title=f"Workshop {next(_numbers)}",
        starts_at=timezone.now() + timedelta(days=days),
        capacity=capacity,
    )


def make_question(member: Membership, text: str = "Am I allowed to post about this?") -> Any:
    from chorus.program.models import Question

    return Question.objects.create(org=member.org, asked_by=member, text=text)


def make_connection(member: Membership, network: str = "mastodon", **credentials: Any) -> Any:
    from chorus.sharing.models import Connection

    return Connection.objects.create(
        org=member.org,
        membership=member,
        network=network,
        handle=f"@{member.user.email.split('@')[0]}",
        credentials=credentials or {"access_token": "secret-token"},
    )


def make_share(member: Membership, item: Any, *, network: str = "mastodon", **fields: Any) -> Any:
    from chorus.sharing.models import Share

    fields.setdefault("text", f"{item.title} https://example.com/")
    return Share.objects.create(
        org=member.org, membership=member, item=item, network=network, **fields
    )


def populate_results(org: Organization, member: Membership) -> None:
    """Each results module adds one object of each of its models (see tests/factory_*.py)."""
    from tests import (
        factory_analytics,
        factory_coaching,
        factory_engage,
        factory_health,
        factory_metrics,
    )

    for module in (
        factory_analytics,
        factory_coaching,
        factory_engage,
        factory_health,
        factory_metrics,
    ):
        module.populate(org, member)
