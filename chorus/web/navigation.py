"""The navigation by role: a few top-level areas, the rest one level down in each area.

People told us a wall of 25 links says nothing about where to start. Every role sees at most
seven areas (MAX_SECTIONS); an ambassador sees the four they use daily (their feed, their
posts, their results, learning), which a phone shows as a bottom tab bar. Programme managers
and admins also run the programme (Content, Programme, Insights, Settings) and have a "Today"
page; to stay within seven, their own results sit under "My posts" and the learning pages
under "Programme", which they also manage. Each area lists its pages as a sub-navigation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Role

MAX_SECTIONS = 7


@dataclass(frozen=True)
class Link:
    url_name: str
    label: Promise
    min_role: str = Role.AMBASSADOR
    # Other pages that belong to this link (an item's detail under the library…).
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    label: Promise
    links: tuple[Link, ...]
    # Pages of the area reached from within it (a composer, a detail page), not listed.
    also: tuple[str, ...] = ()
    daily: bool = False


@dataclass
class Entry:
    """A link as a page shows it: its address, its label, whether it is the current page."""

    label: Promise
    url: str
    current: bool = False


@dataclass
class Area:
    key: str
    label: Promise
    url: str
    current: bool
    daily: bool
    links: list[Entry] = field(default_factory=list)


# The pages of each area. The first link is where the area's top-level entry leads.
FEED = Link("feed", _("My feed"), also=("not_for_me",))
PROFILE = Link("my_profile", _("My ambassador profile"))
NOTIFICATIONS = Link("notifications", _("Notifications"), also=("notification_open",))
SHARES = Link("share_queue", _("My shares"), also=("share_action", "share_intent"))
NETWORKS = Link("connections", _("My networks"), also=("connection_disconnect",))
LINKS = Link("links", _("Links"), also=("item_link",))
SUGGESTIONS = Link("suggestions", _("Suggestions"))
MY_RESULTS = Link("my_results", _("My results"))
POINTS = Link(
    "my_points",
    _("Points and challenges"),
    also=("leaderboard", "badges", "challenges", "challenge", "points_rules", "challenge_new"),
)
COACHING = Link("coaching_notes", _("Coaching"), also=("coaching_note",))
START = Link("start", _("Getting started"))
LIBRARY = Link("library", _("Content"), also=("item_detail",))
RESOURCES = Link("resources", _("Resources"), also=("resource",))
WORKSHOPS = Link("workshops", _("Workshops"), also=("workshop",))
FAQ = Link("faq", _("FAQ"))
QUESTIONS = Link("questions", _("Questions"), also=("question", "ask"))
TEAM_ONBOARDING = Link("team_onboarding", _("Onboarding"), Role.TEAM_MANAGER)
TEAMS = Link("teams", _("Teams"), Role.TEAM_MANAGER, also=("team_detail", "team_results", "coach"))

AMBASSADOR_SECTIONS = (
    # An ambassador's home is their feed.
    Section(
        "feed",
        _("Feed"),
        (Link("org_home", _("My feed"), also=("feed", "not_for_me")), PROFILE, NOTIFICATIONS),
        daily=True,
    ),
    Section(
        "posts",
        _("My posts"),
        (SHARES, NETWORKS, LINKS, SUGGESTIONS),
        also=("compose", "compose_check"),
        daily=True,
    ),
    Section("results", _("Results"), (MY_RESULTS, POINTS, COACHING), daily=True),
    Section(
        "learn",
        _("Learn"),
        (START, LIBRARY, RESOURCES, WORKSHOPS, FAQ, QUESTIONS),
        also=("programme_join", "programme_leave"),
        daily=True,
    ),
    Section("team", _("My teams"), (TEAM_ONBOARDING, TEAMS), also=("workshop_follow_up",)),
)

MANAGER_SECTIONS = (
    Section("today", _("Today"), (Link("org_home", _("Today")), NOTIFICATIONS), daily=True),
    Section("feed", _("Feed"), (FEED, PROFILE), daily=True),
    Section(
        "posts",
        _("My posts"),
        (SHARES, NETWORKS, MY_RESULTS, POINTS, COACHING),
        also=("compose", "compose_check"),
        daily=True,
    ),
    Section(
        "content",
        _("Content"),
        (
            LIBRARY,
            Link("campaigns", _("Campaigns"), also=("campaign_create", "campaign_edit")),
            Link("curation", _("Curation")),
            SUGGESTIONS,
            Link("sources", _("Sources"), also=("source_edit",)),
            Link("topics", _("Topics"), also=("topic_edit",)),
            Link("personas", _("Personas"), also=("persona_edit",)),
        ),
        also=(
            "item_create",
            "item_edit",
            "item_import",
            "import_job",
            "caption_add",
            "caption_edit",
        ),
        daily=True,
    ),
    Section(
        "programme",
        _("Programme"),
        (
            Link("programme", _("Programme"), also=("programme_join", "programme_leave")),
            TEAM_ONBOARDING,
            Link("members", _("Members"), also=("member_detail", "member_erase")),
            TEAMS,
            START,
            RESOURCES,
            WORKSHOPS,
            QUESTIONS,
            FAQ,
        ),
        also=("resource_new", "resource_edit", "workshop_follow_up"),
    ),
    Section(
        "insights",
        _("Insights"),
        (
            Link("dashboard", _("Dashboard")),
            Link("programme_health", _("Programme health")),
            LINKS,
        ),
    ),
    Section(
        "settings",
        _("Settings"),
        (
            Link("org_settings", _("Settings")),
            Link("org_settings_organisation", _("Organisation"), Role.ORG_ADMIN),
            Link("sharing_policy", _("Sharing policy")),
            Link("analytics_settings", _("Values and thresholds")),
            Link("link_settings", _("Link settings")),
            Link("sso_settings", _("Single sign-on"), Role.ORG_ADMIN),
            Link("scim_settings", _("Provisioning (SCIM)"), Role.ORG_ADMIN),
            Link("digest_settings", _("Digest e-mails")),
            Link("audit_log", _("Audit log"), Role.ORG_ADMIN),
        ),
    ),
)


def sections_for(membership: Membership) -> tuple[Section, ...]:
    """The areas a member's role gives, each keeping only the links the role may open."""
    sections = MANAGER_SECTIONS if membership.can_manage_programme else AMBASSADOR_SECTIONS
    kept = []
    for section in sections:
        links = tuple(link for link in section.links if membership.has_role(link.min_role))
        if links:
            kept.append(
                Section(section.key, section.label, links, also=section.also, daily=section.daily)
            )
    return tuple(kept)


def navigation(membership: Membership, current: str | None) -> list[Area]:
    """The areas of the member's navigation, marking the area and the page shown now."""
    slug = membership.org.slug
    areas = []
    for section in sections_for(membership):
        entries = [
            Entry(
                link.label,
                reverse(link.url_name, kwargs={"org": slug}),
                current == link.url_name or current in link.also,
            )
            for link in section.links
        ]
        areas.append(
            Area(
                key=section.key,
                label=section.label,
                url=entries[0].url,
                current=any(entry.current for entry in entries) or current in section.also,
                daily=section.daily,
                links=entries,
            )
        )
    # A page listed in two areas (Suggestions, Links…) belongs to the first one only.
    seen = False
    for area in areas:
        area.current = area.current and not seen
        seen = seen or area.current
    return areas
