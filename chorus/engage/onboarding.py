"""The onboarding checklist: each step is done by the real action, never ticked by hand.

In engage, above feed and sharing, because it reads what their actions leave behind.

Steps are computed from the data each action leaves behind, so they cannot drift:
- profile: the ambassador profile has languages, a network with its audience, and a topic;
- topics: at least one topic of interest or expertise chosen;
- network: a social network connected for publishing;
- guide: the programme's guide marked as read (only when the programme has a guide);
- share: a first share published (through Chorus or confirmed from a share intent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, OuterRef, QuerySet, Value
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.feed.models import AmbassadorProfile
from chorus.orgs.models import Membership, Organization
from chorus.program.models import Resource, ResourceRead
from chorus.sharing.models import Connection, Share

STEP_LABELS: dict[str, Promise] = {
    "profile": _("Complete your ambassador profile"),
    "topics": _("Choose the topics you care about"),
    "network": _("Connect a social network"),
    "guide": _("Read the ambassador guide"),
    "share": _("Share for the first time"),
}


@dataclass(frozen=True)
class Step:
    key: str
    done: bool
    url: str

    @property
    def label(self) -> Promise:
        return STEP_LABELS[self.key]


@dataclass(frozen=True)
class Checklist:
    steps: tuple[Step, ...]

    @property
    def done(self) -> int:
        return sum(step.done for step in self.steps)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    def step(self, key: str) -> Step | None:
        return next((step for step in self.steps if step.key == key), None)


def guide_of(org: Organization) -> Resource | None:
    return Resource.objects.filter(org=org, is_guide=True).order_by("position", "id").first()


def _has_network_with_audience(networks: object) -> bool:
    """At least one network where the person said how many, or who, follow them."""
    if not isinstance(networks, dict):
        return False
    return any(
        isinstance(audience, dict) and (audience.get("size") or audience.get("who"))
        for audience in networks.values()
    )


def checklists(org: Organization, members: Iterable[Membership]) -> dict[int, Checklist]:
    """The checklist of many members at once, in a fixed number of queries."""
    ids = [member.pk for member in members]
    guide = guide_of(org)
    rows: QuerySet = Membership.objects.filter(pk__in=ids).annotate(
        topic_count=Count("profile__interests", distinct=True)
        + Count("profile__expertise", distinct=True),
        connected=Exists(
            Connection.objects.filter(membership=OuterRef("pk"), status=Connection.Status.ACTIVE)
        ),
        shared=Exists(Share.objects.published().filter(membership=OuterRef("pk"))),
        read_guide=Exists(ResourceRead.objects.filter(membership=OuterRef("pk"), resource=guide))
        if guide is not None
        else Value(False, output_field=BooleanField()),
    )
    profiles = {
        profile.membership_id: profile
        for profile in AmbassadorProfile.objects.filter(membership_id__in=ids).annotate(
            interest_count=Count("interests")
        )
    }
    slug = org.slug
    urls = {
        "profile": reverse("my_profile", kwargs={"org": slug}),
        "topics": reverse("my_profile", kwargs={"org": slug}) + "#about-heading",
        "network": reverse("connections", kwargs={"org": slug}),
        "guide": reverse("resource", kwargs={"org": slug, "resource_id": guide.pk})
        if guide is not None
        else "",
        "share": reverse("feed", kwargs={"org": slug}),
    }
    result = {}
    for row in rows:
        profile = profiles.get(row.pk)
        profile_done = bool(
            profile is not None
            and profile.languages
            and _has_network_with_audience(profile.networks)
            and profile.interest_count  # type: ignore[attr-defined]
        )
        done = {
            "profile": profile_done,
            "topics": bool(row.topic_count),
            "network": bool(row.connected),
            "guide": bool(row.read_guide),
            "share": bool(row.shared),
        }
        keys = [key for key in STEP_LABELS if key != "guide" or guide is not None]
        result[row.pk] = Checklist(tuple(Step(key, done[key], urls[key]) for key in keys))
    return result


def checklist(member: Membership) -> Checklist:
    return checklists(member.org, [member])[member.pk]
