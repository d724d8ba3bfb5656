"""A person's data: everything Chorus holds about them, to download or to erase.

`PERSONAL_DATA` says, for every model, whether it holds personal data and what erasure
does with it; `tests/accounts/test_personal_data.py` fails when a model with text, JSON or a link to
a person is missing from it, so a new model cannot be forgotten.

Why one module reaching into every app's models, instead of a receiver per app: what is
personal and what becomes of it must read in one place, checked by one test, and erasure is
one transaction with one audit entry. The apps' own reactions to a departure still run
(`participant_left`), and this module then finishes the job.

Three scopes of erasure (`Scope`):

- ``contributions``: leaving the programme with "anonymise my contributions". Published
  shares stay as anonymous rows (the organisation's figures stay right: shares, clicks,
  engagement, conversions) but lose their person and their words; tracked links keep
  counting without a person; drafts, connections and their tokens, points, badges,
  suggestions, questions, coaching notes about them, profile, notifications, workshop
  sign-ups are deleted. The person stays a member of the organisation, and their consent
  record (what they agreed to, when, and that they left) stays with the membership.
- ``organisation``: an admin's "erase this person": the same, then the membership itself,
  invitations, API tokens of that organisation, and the person's name and e-mail address
  in that organisation's audit log (replaced by ``erased-<id>@invalid``). When it was the
  person's last organisation, the account is erased too.
- ``everywhere``: every organisation, then the account.

Erasing the account keeps the row (audit entries and anonymised rows keep pointing at
it) but replaces the e-mail address by the placeholder, empties the names, and makes it
unusable (no password, inactive); its sessions, e-mail addresses and tokens are deleted.

Some words of a person are kept on purpose, because they belong to someone else too:
a coaching note or reply the person wrote *to a colleague* stays with that colleague,
without its author (as when a manager's membership is deleted); questions published in the
FAQ keep the programme team's edited, anonymous wording.

Potential reach is the one figure that changes: it is computed from the audience sizes of
the person's profile, which is personal and deleted, so their past shares count 0 reach
(as any anonymised departure always did).

The export (`export_person`) never carries another person's personal data: the author of a
coaching note addressed to the person appears as their role ("Team manager"), not their
name, although the page shows the name: the file is meant to travel, the page is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.accounts.models import User
from chorus.api.models import Token
from chorus.chat.models import ChatMessage, ChatPreference
from chorus.coaching.models import CoachingNote
from chorus.content.models import ContentItem, Suggestion
from chorus.engage.models import BadgeAward, ChallengeResult, LeaderboardPreference, PointsEntry
from chorus.feed.models import AmbassadorProfile, Feedback
from chorus.governance.models import ReviewScope
from chorus.links.models import Conversion, LinkDay, TrackedLink
from chorus.notify.models import DigestSend, Notification
from chorus.orgs.actions import audit, check_keeps_an_admin
from chorus.orgs.models import AuditEntry, Invitation, Membership, Organization, Role, Team
from chorus.program.models import (
    Participation,
    Question,
    ResourceRead,
    WorkshopSignup,
)
from chorus.program.signals import participant_left
from chorus.sharing.actions import revoke_remote
from chorus.sharing.models import Connection, EngagementTaskDone, Review, Share
from chorus.webhooks.models import Message as WebhookMessage

EXPORT_FORMAT = "chorus-personal-data/1"


class Scope:
    CONTRIBUTIONS = "contributions"
    ORGANISATION = "organisation"
    EVERYWHERE = "everywhere"
    ALL = (CONTRIBUTIONS, ORGANISATION, EVERYWHERE)


# --- What is personal ---------------------------------------------------------------------

DELETED = "deleted"  # the rows go
ANONYMISED = "anonymised"  # the rows stay for the figures, without the person or their words
REBUILT = "rebuilt"  # rollups: rebuilt from the anonymised events
SCRUBBED = "scrubbed"  # the audit log: name and e-mail replaced by the placeholder
ACCOUNT = "account"  # the user row itself: anonymised in place, unusable


@dataclass(frozen=True)
class Personal:
    """A model holding personal data.

    `person` is the lookup from the model to the person's Membership (or, with
    `account=True`, to the User); "pk" for the Membership or User itself, "" when rows can
    only be found another way (sessions). `keep` names the text fields of anonymised rows
    that are not the person's and stay. `contributions`: leaving the programme with
    "anonymise" erases it too (otherwise only an erasure from the organisation does).
    """

    person: str
    erase: str
    keep: tuple[str, ...] = ()
    account: bool = False
    contributions: bool = True
    why: str = ""


@dataclass(frozen=True)
class NotPersonal:
    why: str


_ORG_CONTENT = "the organisation's own content or settings; a link to its author is emptied"
_SETTINGS = "an organisation's settings"
_ROLLUP = "added up over everyone: no person in it"

PERSONAL_DATA: dict[str, Personal | NotPersonal] = {
    # Accounts and sign-in.
    "accounts.User": Personal(
        "pk",
        ACCOUNT,
        keep=("password",),
        account=True,
        contributions=False,
        why="e-mail replaced by erased-<id>@invalid, names emptied, password unusable",
    ),
    "account.EmailAddress": Personal("user", DELETED, account=True, contributions=False),
    "account.EmailConfirmation": Personal(
        "email_address__user", DELETED, account=True, contributions=False
    ),
    "sessions.Session": Personal(
        "", DELETED, account=True, contributions=False, why="found by decoding each session"
    ),
    "admin.LogEntry": Personal("user", DELETED, account=True, contributions=False),
    "api.Token": Personal("user", DELETED, account=True, contributions=False),
    # Single sign-on: the link to the person at their organisation's identity provider.
    "socialaccount.SocialAccount": Personal("user", DELETED, account=True, contributions=False),
    "socialaccount.SocialToken": Personal(
        "account__user", DELETED, account=True, contributions=False, why="never stored"
    ),
    "socialaccount.SocialApp": NotPersonal("unused: chorus/sso builds the apps from its providers"),
    "sso.IdentityProvider": NotPersonal(_SETTINGS),
    "sso.EmailDomain": NotPersonal("an organisation's e-mail domain and who asked for it"),
    "sso.SSOSettings": NotPersonal(_SETTINGS),
    "auth.Permission": NotPersonal("the list of permissions"),
    "auth.Group": NotPersonal("named groups of permissions, unused by Chorus"),
    "contenttypes.ContentType": NotPersonal("the list of models"),
    # Organisations.
    "orgs.Organization": NotPersonal(_SETTINGS),
    "orgs.Team": NotPersonal("a team's name; its manager is emptied when the person goes"),
    "orgs.Membership": Personal("pk", DELETED, contributions=False),
    "orgs.AuditEntry": Personal(
        "actor",
        SCRUBBED,
        keep=("action", "target_type", "target_id"),
        account=True,
        contributions=False,
        why="the person's name, e-mail and handles replaced by the placeholder",
    ),
    "orgs.Invitation": Personal("membership", DELETED, contributions=False),
    "orgs.SetupCode": NotPersonal("a hash of the instance's one-time set-up code"),
    # Content.
    "content.Topic": NotPersonal(_ORG_CONTENT),
    "content.Persona": NotPersonal(_ORG_CONTENT),
    "content.Campaign": NotPersonal(_ORG_CONTENT),
    "content.ContentItem": NotPersonal(_ORG_CONTENT),
    "content.Caption": NotPersonal(_ORG_CONTENT),
    "content.ContentImage": NotPersonal(_ORG_CONTENT),
    "content.Source": NotPersonal(_ORG_CONTENT),
    "content.CuratedEntry": NotPersonal("articles read from the organisation's feeds"),
    "content.Suggestion": Personal("suggested_by", DELETED),
    "content.ImportJob": NotPersonal(
        "a CSV import of the organisation's content; its author link is emptied"
    ),
    # Links.
    "links.LinkSettings": NotPersonal(_SETTINGS),
    "links.TrackedLink": Personal(
        "ambassador",
        ANONYMISED,
        keep=("code", "url", "destination", "share_ref"),
        why="keeps counting clicks for the figures; the content's address is not personal",
    ),
    "links.Click": NotPersonal(
        "a visitor's daily-salted hash, no IP; tied to the ambassador only through the "
        "tracked link, which loses its person"
    ),
    "links.DailySalt": NotPersonal("a random salt"),
    "links.JournalCursor": NotPersonal("how far a log file was read"),
    "links.Conversion": Personal(
        "ambassador",
        ANONYMISED,
        keep=("currency", "external_id", "network"),
        why="the lead's reference in the website or CRM is not the ambassador's",
    ),
    # Feed.
    "feed.AmbassadorProfile": Personal("membership", DELETED),
    "feed.Feedback": Personal("membership", DELETED),
    # Programme.
    "program.Cohort": NotPersonal(_ORG_CONTENT),
    "program.Participation": Personal(
        "membership",
        DELETED,
        contributions=False,
        why="the consent record stays while the person is a member",
    ),
    "program.Resource": NotPersonal(_ORG_CONTENT),
    "program.ResourceText": NotPersonal(_ORG_CONTENT),
    "program.ResourceRead": Personal("membership", DELETED),
    "program.Workshop": NotPersonal(_ORG_CONTENT),
    "program.WorkshopSignup": Personal("membership", DELETED),
    "program.Question": Personal(
        "asked_by",
        ANONYMISED,
        keep=("language", "faq_question", "faq_answer"),
        why="deleted, unless published in the FAQ: then only the team's anonymous wording stays",
    ),
    "program.HealthThresholds": NotPersonal(_SETTINGS),
    # Sharing.
    "sharing.SharingPolicy": NotPersonal(_SETTINGS),
    "sharing.MastodonApp": NotPersonal("Chorus's own OAuth app on a Mastodon server"),
    "sharing.Connection": Personal("membership", DELETED, why="tokens revoked, then deleted"),
    "sharing.Share": Personal(
        "membership",
        ANONYMISED,
        why="published shares stay as anonymous rows for the figures; drafts are deleted",
    ),
    "sharing.Review": Personal(
        "share__membership",
        ANONYMISED,
        keep=("reason",),
        why="the text submitted and the reviewer's note are emptied; the decision stays for "
        "the organisation's records",
    ),
    "governance.GovernanceSettings": NotPersonal(_SETTINGS),
    "governance.Disclosure": NotPersonal(_SETTINGS),
    "governance.Rule": NotPersonal(_SETTINGS),
    "governance.ReviewScope": Personal("membership", DELETED, why="whether they are reviewed"),
    "sharing.Attempt": NotPersonal("which worker called a network, and the outcome"),
    "sharing.EngagementSnapshot": NotPersonal("a post's counts on its network"),
    "sharing.EngagementTask": NotPersonal(_ORG_CONTENT),
    "sharing.EngagementTaskDone": Personal(
        "membership",
        ANONYMISED,
        why="kept without the person, their words or their post for the figures",
    ),
    # Notifications.
    "notify.Notification": Personal("membership", DELETED),
    "notify.DigestSend": Personal("membership", DELETED),
    "notify.DigestSettings": NotPersonal(_SETTINGS),
    # Analytics.
    "analytics.AnalyticsSettings": NotPersonal(_SETTINGS),
    "analytics.ShareDay": Personal("membership", REBUILT, keep=("network", "method")),
    "analytics.ConversionDay": Personal("membership", REBUILT, keep=("network", "kind")),
    "analytics.SegmentDay": NotPersonal(_ROLLUP),
    "analytics.SegmentMonth": NotPersonal(_ROLLUP),
    "analytics.MemberMonth": Personal("membership", REBUILT, keep=("network",)),
    "analytics.PersonMonth": Personal("membership", REBUILT),
    # Engagement.
    "engage.PointsRules": NotPersonal(_SETTINGS),
    "engage.PointsEntry": Personal("membership", DELETED),
    "engage.LeaderboardPreference": Personal("membership", DELETED),
    "engage.BadgeAward": Personal("membership", DELETED),
    "engage.Challenge": NotPersonal(_ORG_CONTENT),
    "engage.ChallengeResult": Personal("membership", DELETED),
    # Coaching.
    "coaching.CoachingNote": Personal(
        "subject",
        DELETED,
        why="notes about the person; notes they wrote to a colleague stay with the colleague",
    ),
    "coaching.CoachingReply": Personal("note__subject", DELETED),
    # Provisioning.
    "scim.ScimToken": NotPersonal("an organisation's provisioning token; its maker is audited"),
    "scim.ScimSettings": NotPersonal(_SETTINGS),
    "scim.ScimUser": Personal(
        "membership",
        DELETED,
        contributions=False,
        why="the directory's ids and e-mail list for the person; goes with the membership",
    ),
    "scim.ScimGroup": NotPersonal("the directory's id for a team"),
    # Webhooks.
    "webhooks.Endpoint": NotPersonal(_ORG_CONTENT),
    "webhooks.Message": Personal(
        "subject",
        DELETED,
        why="events about the person (their id, e-mail or words) for the organisation's endpoints",
    ),
    "webhooks.DeliveryAttempt": NotPersonal(
        "how one delivery went; the event itself is the message's, erased with it"
    ),
    # Chat tools.
    "chat.ChatWorkspace": NotPersonal(_ORG_CONTENT),
    "chat.ChatChannel": NotPersonal(_SETTINGS),
    "chat.ChatPreference": Personal(
        "membership", DELETED, why="where the person's digest goes (their own Workflows URL)"
    ),
    "chat.ChatMessage": Personal(
        "membership", DELETED, why="the person's digests and the answers to their clicks"
    ),
}


def placeholder_email(user: Any) -> str:
    return f"erased-{user.pk}@invalid"


# --- Export ---------------------------------------------------------------------------------


def _when(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> Any:
    """A JSON-safe copy of a value read from a JSON field or a decimal column."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_person(user: User, org: Organization | None = None) -> dict[str, Any]:
    """Everything Chorus holds about `user`, JSON-serialisable: the account, then one
    section per organisation they belong to (only `org`'s when given, as for an admin)."""
    memberships = Membership.objects.filter(user=user).select_related("org", "team")
    if org is not None:
        memberships = memberships.filter(org=org)
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "exported_at": _when(timezone.now()),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "language": user.language,
            "joined": _when(user.date_joined),
            "last_login": _when(user.last_login),
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("id")
            ],
            "single_sign_on": [
                {"provider": account.provider, "uid": account.uid, "claims": account.extra_data}
                for account in SocialAccount.objects.filter(user=user).order_by("id")
            ],
        },
        "organisations": [_export_membership(member) for member in memberships.order_by("org")],
    }
    return data


def _export_membership(member: Membership) -> dict[str, Any]:
    user = member.user
    org = member.org
    return {
        "organisation": {"name": org.name, "slug": org.slug},
        "membership": {
            "role": member.role,
            "team": member.team.name if member.team else None,
            "active": member.is_active,
            "joined": _when(member.joined_at),
        },
        "programme": _export_participation(member),
        "ambassador_profile": _export_profile(member),
        "connections": [
            {
                "network": connection.network,
                "handle": connection.handle,
                "status": connection.status,
                "connected": _when(connection.created_at),
                "expires": _when(connection.expires_at),
            }
            for connection in Connection.objects.filter(membership=member).order_by("id")
        ],
        "shares": [
            {
                "id": share.pk,
                "content": share.item.title,
                "network": share.network,
                "method": share.method,
                "status": share.status,
                "text": share.text,
                "originality": share.originality,
                "created": _when(share.created_at),
                "scheduled_for": _when(share.scheduled_for),
                "published": _when(share.published_at),
                "post_url": share.remote_url,
            }
            for share in Share.objects.filter(membership=member)
            .select_related("item")
            .order_by("created_at", "id")
        ],
        "engagements": [
            {
                "post": done.task.post_url,
                "network": done.task.network,
                "action": done.action,
                "method": done.method,
                "text": done.text,
                "originality": done.originality,
                "done": _when(done.created_at),
                "reply_url": done.remote_url,
            }
            for done in EngagementTaskDone.objects.filter(membership=member)
            .select_related("task")
            .order_by("created_at", "id")
        ],
        "tracked_links": _export_links(member),
        "conversions": [
            {
                "kind": conversion.kind,
                "value": _plain(conversion.value),
                "currency": conversion.currency,
                "network": conversion.network,
                "occurred": _when(conversion.occurred_at),
            }
            for conversion in Conversion.objects.filter(ambassador=member).order_by("occurred_at")
        ],
        "points": _export_points(member),
        "suggestions": [
            {
                "url": suggestion.url,
                "text": suggestion.text,
                "note": suggestion.note,
                "status": suggestion.status,
                "decline_reason": suggestion.decline_reason,
                "sent": _when(suggestion.created_at),
                "decided": _when(suggestion.decided_at),
            }
            for suggestion in Suggestion.objects.filter(suggested_by=member).order_by("id")
        ],
        "questions": [
            {
                "text": question.text,
                "asked": _when(question.asked_at),
                "answer": question.answer,
                "answered": _when(question.answered_at),
                "in_faq": question.in_faq,
            }
            for question in Question.objects.filter(asked_by=member).order_by("id")
        ],
        "coaching_notes": _export_notes(member),
        "workshops": [
            {
                "title": signup.workshop.title,
                "starts": _when(signup.workshop.starts_at),
                "signed_up": _when(signup.created_at),
                "attended": signup.attended,
            }
            for signup in WorkshopSignup.objects.filter(membership=member)
            .select_related("workshop")
            .order_by("id")
        ],
        "resources_read": [
            {"resource": str(read.resource), "read": _when(read.read_at)}
            for read in ResourceRead.objects.filter(membership=member)
            .select_related("resource")
            .prefetch_related("resource__texts")
            .order_by("id")
        ],
        "not_for_me": [
            {"content": feedback.item.title, "when": _when(feedback.created_at)}
            for feedback in Feedback.objects.filter(membership=member)
            .select_related("item")
            .order_by("id")
        ],
        "notifications": [
            {
                "kind": notification.kind,
                "message": notification.message,
                "url": notification.url,
                "created": _when(notification.created_at),
                "read": _when(notification.read_at),
            }
            for notification in Notification.objects.filter(membership=member).order_by("id")
        ],
        "digests": [
            {"sent": _when(digest.sent_at), "items": digest.items}
            for digest in DigestSend.objects.filter(membership=member).order_by("id")
        ],
        "api_tokens": [
            {
                "name": token.name,
                "hint": token.hint,
                "created": _when(token.created_at),
                "last_used": _when(token.last_used_at),
                "revoked": _when(token.revoked_at),
            }
            for token in Token.objects.filter(user=user, org=org).order_by("id")
        ],
        "invitations": [
            {
                "role": invitation.role,
                "sent": _when(invitation.created_at),
                "expires": _when(invitation.expires_at),
                "accepted": _when(invitation.accepted_at),
                "revoked": _when(invitation.revoked_at),
            }
            for invitation in Invitation.objects.filter(
                Q(membership=member) | Q(email__iexact=user.email), org=org
            ).order_by("id")
        ],
        "audit": _export_audit(member),
    }


def _export_participation(member: Membership) -> dict[str, Any] | None:
    participation = Participation.objects.filter(membership=member).select_related("cohort").first()
    if participation is None:
        return None
    return {
        "status": participation.status,
        "cohort": participation.cohort.name if participation.cohort else None,
        "invited": _when(participation.invited_at),
        "opted_in": _when(participation.opted_in_at),
        "decided": _when(participation.decided_at),
        "left": _when(participation.left_at),
        "anonymised": participation.anonymised,
        "consent": {
            "version": participation.consent_version,
            "language": participation.consent_language,
            "text": participation.consent_text,
        },
    }


def _export_profile(member: Membership) -> dict[str, Any] | None:
    profile = AmbassadorProfile.objects.filter(membership=member).first()
    if profile is None:
        return None
    return {
        "interests": sorted(topic.name for topic in profile.interests.all()),
        "expertise": sorted(topic.name for topic in profile.expertise.all()),
        "audiences": sorted(persona.name for persona in profile.personas.all()),
        "languages": profile.languages,
        "site": profile.site,
        "networks": profile.networks,
        "posting_days": profile.posting_days,
        "posting_hours": profile.posting_hours,
        "weekly_cadence": profile.weekly_cadence,
        "digest": profile.digest,
        "leaderboards": {
            "visible": LeaderboardPreference.objects.filter(membership=member)
            .values_list("visible", flat=True)
            .first()
            is not False
        },
    }


def _export_links(member: Membership) -> list[dict[str, Any]]:
    links = TrackedLink.objects.filter(ambassador=member).select_related("item").order_by("id")
    days = {
        row["link_id"]: row
        for row in LinkDay.objects.filter(link__ambassador=member)
        .values("link_id")
        .annotate(
            clicks=Sum("clicks"),
            bot_clicks=Sum("bot_clicks"),
            unique_visitors=Sum("unique_visitors"),
        )
        .order_by()
    }
    return [
        {
            "code": link.code,
            "content": link.item.title if link.item else None,
            "url": link.url,
            "network": link.network,
            "created": _when(link.created_at),
            "clicks": int(days.get(link.pk, {}).get("clicks") or 0),
            "bot_clicks": int(days.get(link.pk, {}).get("bot_clicks") or 0),
            "unique_visitors": int(days.get(link.pk, {}).get("unique_visitors") or 0),
        }
        for link in links
    ]


def _export_points(member: Membership) -> dict[str, Any]:
    entries = PointsEntry.objects.filter(membership=member).order_by("day", "id")
    return {
        "total": sum(entry.points for entry in entries),
        "entries": [
            {
                "kind": entry.kind,
                "for": f"{entry.source_type}:{entry.source_id}",
                "day": _when(entry.day),
                "points": entry.points,
                "before_daily_cap": entry.points_before_cap,
                "detail": {key: _plain(value) for key, value in entry.detail.items()},
            }
            for entry in entries
        ],
        "badges": [
            {"badge": award.badge, "awarded": _when(award.awarded_at)}
            for award in BadgeAward.objects.filter(membership=member)
        ],
        "challenges": [
            {
                "challenge": result.challenge.title,
                "progress": result.progress,
                "reached": _when(result.reached_at),
            }
            for result in ChallengeResult.objects.filter(membership=member).select_related(
                "challenge"
            )
        ],
    }


def _someone(author: Membership | None, member: Membership) -> str:
    """How the export names the other party of a coaching thread: "you", or a role."""
    if author is None:
        return "a former manager"
    if author.pk == member.pk:
        return "you"
    return str(Role(author.role).label)


def _export_notes(member: Membership) -> list[dict[str, Any]]:
    notes = (
        CoachingNote.objects.filter(subject=member)
        .select_related("author")
        .prefetch_related("replies__author")
        .order_by("created_at", "id")
    )
    return [
        {
            "from": _someone(note.author, member),
            "text": note.text,
            "written": _when(note.created_at),
            "read": _when(note.read_at),
            "about_share": note.share_id,
            "replies": [
                {
                    "from": _someone(reply.author, member),
                    "text": reply.text,
                    "written": _when(reply.created_at),
                }
                for reply in note.replies.all()
            ],
        }
        for note in notes
    ]


def _export_audit(member: Membership) -> list[dict[str, Any]]:
    """What the organisation's audit log says the person did, or was done to them; labels
    and values only when the entry is about them (others' names stay out)."""
    entries = AuditEntry.objects.filter(
        Q(actor=member.user) | Q(target_type="membership", target_id=str(member.pk)),
        org=member.org,
    ).order_by("created_at", "id")
    return [
        {
            "action": entry.action,
            "by_you": entry.actor_id == member.user_id,
            "about_you": entry.target_type == "membership" and entry.target_id == str(member.pk),
            "when": _when(entry.created_at),
        }
        for entry in entries
    ]


@transaction.atomic
def do_export_member(actor: Membership, member: Membership) -> dict[str, Any]:
    """An admin downloads what the organisation holds about a member; audited."""
    if member.org_id != actor.org_id:
        raise ValidationError(_("This person is not a member of this organisation."))
    audit(actor.org, actor.user, "person.export", member)
    return export_person(member.user, member.org)


# --- Erasure --------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure did: rows per model label, and whether the account went too."""

    scope: str
    rows: dict[str, int] = field(default_factory=dict)
    account_erased: bool = False

    def count(self, label: str, number: int) -> None:
        if number:
            self.rows[label] = self.rows.get(label, 0) + number


def do_erase_person(actor: Membership | None, target: Membership | User, *, scope: str) -> Erasure:
    """Erase a person's data in one organisation's programme (``contributions``), in one
    organisation (``organisation``: the account too if it was their last one), or
    everywhere (``everywhere``). One transaction; audited without the erased data.

    `actor` is the member who asked (the person themselves when leaving, an admin) or None
    for the system (a command)."""
    if scope not in Scope.ALL:
        raise ValueError(f"unknown scope {scope!r}")
    with transaction.atomic():
        report = Erasure(scope=scope)
        if scope == Scope.EVERYWHERE:
            user = target.user if isinstance(target, Membership) else target
            for member in Membership.objects.filter(user=user).select_related("org", "user"):
                _erase_in_org(actor, member, report)
            _erase_account(user, report)
            return report
        if not isinstance(target, Membership):
            raise ValueError("erasing within an organisation needs the person's membership")
        member = Membership.objects.select_related("org", "user").get(pk=target.pk)
        if scope == Scope.CONTRIBUTIONS:
            _erase_contributions(member, report)
            audit(
                member.org,
                actor.user if actor else None,
                "programme.anonymise",
                member,
                _summary(report),
            )
            return report
        if actor is not None and actor.pk == member.pk:
            raise ValidationError(_("You cannot erase yourself: leave the programme instead."))
        user = member.user
        _erase_in_org(actor, member, report)
        if not Membership.objects.filter(user=user).exists():
            _erase_account(user, report)
        return report


def _summary(report: Erasure) -> dict[str, Any]:
    """The audit entry's changes: how many rows of each kind, never what they said."""
    return {
        "scope": [None, report.scope],
        "rows": [None, sum(report.rows.values())],
        "account": [None, "erased" if report.account_erased else "kept"],
    }


def _needles(user: User, member: Membership | None = None) -> list[str]:
    """The strings that name the person: their e-mail address, full name and handles."""
    found = {user.email}
    full_name = user.get_full_name().strip()
    if len(full_name) >= 3:
        found.add(full_name)
    connections = Connection.objects.filter(membership__user=user)
    if member is not None:
        connections = connections.filter(membership=member)
    handles = connections.values_list("handle", flat=True)
    found |= {handle for handle in handles if len(handle) >= 3}
    return sorted(found, key=len, reverse=True)


def _scrub(text: str, needles: Iterable[str], replacement: str) -> str:
    for needle in needles:
        text = re.sub(re.escape(needle), replacement, text, flags=re.IGNORECASE)
    return text


def _scrub_json(value: Any, needles: list[str], replacement: str) -> Any:
    if isinstance(value, str):
        return _scrub(value, needles, replacement)
    if isinstance(value, list):
        return [_scrub_json(item, needles, replacement) for item in value]
    if isinstance(value, dict):
        return {
            _scrub(str(key), needles, replacement): _scrub_json(item, needles, replacement)
            for key, item in value.items()
        }
    return value


def _erase_contributions(member: Membership, report: Erasure) -> None:
    """The programme's data about one member; the membership and the account stay."""
    shares = Share.objects.filter(membership=member)
    # Connections first, so that the departure below finds nothing to disconnect (and
    # audits no handle); their tokens are revoked at the network once this commits.
    for connection in Connection.objects.filter(membership=member):
        holder = Connection(network=connection.network, credentials=connection.credentials)
        transaction.on_commit(partial(revoke_remote, holder))
    report.count("sharing.Connection", Connection.objects.filter(membership=member).delete()[0])
    drafts = shares.filter(status=Share.Status.DRAFT)
    report.count("sharing.Share", drafts.delete()[1].get("sharing.Share", 0))
    # The receivers below may detach the person from these before their words go.
    share_ids = list(shares.values_list("pk", flat=True))
    report.count(
        "sharing.Review",
        Review.objects.filter(share_id__in=share_ids).update(submitted_text="", note=""),
    )
    # Every app stops what it does for the person and drops its own derived rows; the
    # analytics receiver notes the days to rebuild without the person.
    participant_left.send(sender=Participation, membership=member, anonymise=True)
    report.count(
        "sharing.Share",
        Share.objects.filter(Q(membership=member) | Q(pk__in=share_ids)).update(
            membership=None,
            connection=None,
            text="",
            signature=None,
            remote_id="",
            remote_url="",
            claimed_by="",
            error_code="",
            error="",
            metrics_done=True,
            updated_at=timezone.now(),
        ),
    )
    report.count(
        "sharing.EngagementTaskDone",
        EngagementTaskDone.objects.filter(membership=member).update(
            membership=None, text="", remote_id="", remote_url=""
        ),
    )
    report.count(
        "links.TrackedLink", TrackedLink.objects.filter(ambassador=member).update(ambassador=None)
    )
    report.count(
        "links.Conversion", Conversion.objects.filter(ambassador=member).update(ambassador=None)
    )
    ContentItem.objects.filter(suggested_by=member).update(suggested_by=None)
    for model, lookup in (
        (PointsEntry, "membership"),
        (BadgeAward, "membership"),
        (ChallengeResult, "membership"),
        (LeaderboardPreference, "membership"),
        (AmbassadorProfile, "membership"),
        (Feedback, "membership"),
        (Notification, "membership"),
        (DigestSend, "membership"),
        (ResourceRead, "membership"),
        (WorkshopSignup, "membership"),
        (Suggestion, "suggested_by"),
        (CoachingNote, "subject"),
        (WebhookMessage, "subject"),
        (ChatPreference, "membership"),
        (ChatMessage, "membership"),
        (ReviewScope, "membership"),
    ):
        _count, per_model = model._default_manager.filter(**{lookup: member}).delete()
        for label, number in per_model.items():
            report.count(label, number)
    questions = Question.objects.filter(asked_by=member)
    report.count(
        "program.Question",
        questions.filter(in_faq=True).update(
            asked_by=None, text="", context_path="", answer="", item=None
        ),
    )
    report.count("program.Question", questions.filter(in_faq=False).delete()[0])
    Participation.objects.filter(membership=member).update(anonymised=True)


def _erase_in_org(actor: Membership | None, member: Membership, report: Erasure) -> None:
    """Everything one organisation holds about the member, then the membership."""
    user = member.user
    org = member.org
    check_keeps_an_admin(member, None, False)
    needles = _needles(user, member)
    _erase_contributions(member, report)
    report.count("api.Token", Token.objects.filter(user=user, org=org).delete()[0])
    report.count(
        "orgs.Invitation",
        Invitation.objects.filter(
            Q(membership=member) | Q(email__iexact=user.email), org=org
        ).delete()[0],
    )
    # Other people's notifications that name the person ("Alice suggests your next step").
    mentions = Q()
    for needle in needles:
        mentions |= Q(message__icontains=needle)
    report.count("notify.Notification", Notification.objects.filter(mentions, org=org).delete()[0])
    replacement = placeholder_email(user)
    _scrub_audit(AuditEntry.objects.filter(org=org), user, needles, replacement, detach=True)
    Team.objects.filter(manager=member).update(manager=None)
    audit(
        org,
        actor.user if actor else None,
        "person.erase",
        member,
        _summary(report),
        label=replacement,
    )
    _count, per_model = member.delete()
    for label, number in per_model.items():
        report.count(label, number)


def _scrub_audit(
    entries: Any, user: User, needles: list[str], replacement: str, *, detach: bool
) -> int:
    """Replace the person's name, e-mail and handles in audit entries by the placeholder;
    `detach`: entries they wrote no longer point to their account (it lives on elsewhere)."""
    changed = 0
    # Read in Python rather than searched by the database: JSON's text form differs between
    # databases (escaped accents in SQLite). Erasures are rare; an audit log is a few
    # thousand rows a year.
    for entry in entries.iterator(chunk_size=2000):
        label = _scrub(entry.target_label, needles, replacement)
        changes = _scrub_json(entry.changes, needles, replacement)
        mine = entry.actor_id == user.pk or entry.actor_email.lower() == user.email
        if label == entry.target_label and changes == entry.changes and not mine:
            continue
        entry.target_label = label
        entry.changes = changes
        fields = ["target_label", "changes"]
        if mine:
            entry.actor_email = replacement
            fields.append("actor_email")
            if detach:
                entry.actor = None
                fields.append("actor")
        entry.save(update_fields=fields)
        changed += 1
    return changed


def _erase_account(user: User, report: Erasure) -> None:
    """The account, once the person belongs to no organisation any more."""
    replacement = placeholder_email(user)
    needles = _needles(user)
    _scrub_audit(AuditEntry.objects.all(), user, needles, replacement, detach=False)
    report.count("api.Token", Token.objects.filter(user=user).delete()[0])
    report.count("orgs.Invitation", Invitation.objects.filter(email__iexact=user.email).delete()[0])
    _count, per_model = EmailAddress.objects.filter(user=user).delete()
    for label, number in per_model.items():
        report.count(label, number)
    _count, per_model = SocialAccount.objects.filter(user=user).delete()
    for label, number in per_model.items():
        report.count(label, number)
    report.count("admin.LogEntry", LogEntry.objects.filter(user=user).delete()[0])
    report.count("sessions.Session", delete_sessions(user))
    user.email = replacement
    user.first_name = ""
    user.last_name = ""
    user.language = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.last_login = None
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    report.count("accounts.User", 1)
    report.account_erased = True


def delete_sessions(user: Any) -> int:
    """Sessions keep the user's id in signed data: each is decoded to find theirs."""
    mine = [
        session.pk
        for session in Session.objects.iterator(chunk_size=2000)
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    return Session.objects.filter(pk__in=mine).delete()[0]


def erase_contributions(member: Membership) -> None:
    """Leaving the programme with "anonymise": what `chorus.program.actions.do_leave` calls
    (registered by AccountsConfig.ready, so the programme need not import this layer)."""
    do_erase_person(member, member, scope=Scope.CONTRIBUTIONS)
