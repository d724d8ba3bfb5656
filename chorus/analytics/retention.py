"""Retention: every night, what an organisation keeps no longer than it chose is blanked or
deleted (`chorus.governance.models.GovernanceSettings`; empty periods keep everything).

- share texts: the text of published, cancelled or failed shares created before the
  period is blanked (with the text submitted for review); the share itself stays, so the
  figures and the records export still count it;
- clicks: raw click events older than the period are deleted; the daily counts
  (`links.LinkDay`, and the rollups built from them) stay;
- audit entries older than the period are deleted.

Every dated model is either listed in `COVERED` (what this job does to it) or in `KEPT`
(why the job leaves it alone); a test walks the models, so a new one must be placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from chorus.governance.models import GovernanceSettings
from chorus.links.models import Click
from chorus.orgs.models import AuditEntry
from chorus.sharing.models import EngagementTaskDone, Review, Share

COVERED = {
    "sharing.Share": "texts blanked after share_text_days",
    "sharing.Review": "submitted texts blanked with their share's",
    "sharing.EngagementTaskDone": "reply texts blanked after share_text_days",
    "links.Click": "deleted after click_days (daily counts kept)",
    "orgs.AuditEntry": "deleted after audit_days",
}

KEPT = {
    # The people and the organisation: removed when people leave or are erased.
    "accounts.User": "the account; erased through personal data, not by age",
    "orgs.Organization": "the tenant itself",
    "orgs.Team": "structure, no personal content",
    "orgs.Membership": "a person's place; ends when they leave (program.actions)",
    "orgs.Invitation": "expire by themselves; personal data export and erasure cover them",
    "orgs.SetupCode": "one-time setup codes, expire",
    # Content the organisation publishes on purpose, with its own expiry dates.
    "content.Campaign": "the organisation's own campaigns",
    "content.ContentItem": "expires by its own expire_at; links fall back",
    "content.Caption": "the organisation's suggested texts",
    "content.Source": "feed settings",
    "content.CuratedEntry": "public entries of the organisation's feeds",
    "content.Suggestion": "an ambassador's proposal; erased with the person",
    "content.ImportJob": "bookkeeping of imports",
    # Links and figures: no text of a person's post; the counts are the point.
    "links.TrackedLink": "needed for old links to keep redirecting",
    "links.LinkDay": "the daily click counts that retention keeps",
    "links.DailySalt": "rotated daily, old salts are useless",
    "links.JournalCursor": "ingestion bookkeeping",
    "links.Conversion": "leads attributed; the organisation's own CRM data",
    "feed.AmbassadorProfile": "a person's preferences; erased with the person",
    "content.ContentImage": "the organisation's images of its content",
    "sharing.EngagementTask": "the organisation's requests, like its content items",
    "feed.Feedback": "a person's feed feedback; erased with the person",
    "program.Cohort": "programme structure",
    "program.Participation": "consent records: kept as proof of opt-in",
    "program.Resource": "training material",
    "program.ResourceRead": "training progress; erased with the person",
    "program.Workshop": "programme events",
    "program.WorkshopSignup": "erased with the person",
    "program.Question": "erased with the person",
    "program.HealthThresholds": "settings",
    "governance.Disclosure": "settings",
    "governance.Rule": "settings",
    "governance.ReviewScope": "settings",
    "sharing.MastodonApp": "Chorus's OAuth app registrations",
    "sharing.Connection": "removed on disconnect or leaving",
    "sharing.Attempt": "publishing bookkeeping, no text",
    "sharing.EngagementSnapshot": "counts only, no text",
    "notify.Notification": "short messages to a person; erased with the person",
    "notify.DigestSend": "bookkeeping of digests",
    "analytics.AnalyticsSettings": "settings",
    "analytics.ShareDay": "rollups: what retention keeps",
    "analytics.ConversionDay": "rollups",
    "analytics.SegmentDay": "rollups",
    "analytics.SegmentMonth": "rollups",
    "analytics.MemberMonth": "rollups",
    "analytics.PersonMonth": "rollups",
    "analytics.DirtyDay": "rollup bookkeeping, deleted when rebuilt",
    "analytics.RollupState": "rollup bookkeeping",
    "engage.PointsRules": "settings",
    "engage.PointsEntry": "points ledger; erased with the person",
    "engage.LeaderboardPreference": "a person's choice",
    "engage.BadgeAward": "a person's badges; erased with the person",
    "engage.Challenge": "programme events",
    "engage.ChallengeResult": "results of a challenge",
    "coaching.CoachingNote": "private coaching; erased with the person",
    "coaching.CoachingReply": "private coaching; erased with the person",
    "api.Token": "credentials, revoked by people",
    "scim.ScimToken": "credentials",
    "scim.ScimUser": "provisioning state",
    "scim.ScimGroup": "provisioning state",
    "sso.IdentityProvider": "settings",
    "sso.EmailDomain": "settings",
    "chat.ChatWorkspace": "a connected chat tool: settings and credentials",
    "chat.ChatChannel": "settings: where programme messages go",
    "chat.ChatPreference": "a person's choice; erased with the person",
    "chat.ChatMessage": "messages sent to a chat tool; erased with the person",
    "webhooks.Endpoint": "settings",
    "webhooks.Message": "outbound events, pruned by the webhooks app",
    "webhooks.DeliveryAttempt": "delivery bookkeeping, pruned with messages",
    "admin.LogEntry": "Django admin's own log (server operators)",
    "sessions.Session": "expire by themselves (clearsessions)",
    "account.EmailConfirmation": "allauth, expire by themselves",
    "socialaccount.SocialAccount": "allauth sign-in links; removed with the account",
    "socialaccount.SocialToken": "allauth tokens; removed with the account",
}

# Shares whose text may be blanked: what is no longer waiting to be published.
SETTLED = (Share.Status.PUBLISHED, Share.Status.CANCELLED, Share.Status.FAILED)


@dataclass
class Removed:
    texts: int = 0
    clicks: int = 0
    audit_entries: int = 0


def cutoff(now: datetime, days: int | None) -> datetime | None:
    return now - timedelta(days=days) if days else None


def apply_retention(now: datetime | None = None, *, dry_run: bool = False) -> Removed:
    """Blank and delete what is past each organisation's periods; what it did (or would)."""
    now = now or timezone.now()
    removed = Removed()
    for settings in GovernanceSettings.objects.select_related("org"):
        with transaction.atomic():
            if texts_before := cutoff(now, settings.share_text_days):
                shares = Share.objects.filter(
                    org=settings.org, status__in=SETTLED, created_at__lt=texts_before
                ).exclude(text="")
                removed.texts += shares.count()
                if not dry_run:
                    Review.objects.filter(share__in=shares).update(submitted_text="")
                    shares.update(text="", signature=None)
                replies = EngagementTaskDone.objects.filter(
                    org=settings.org, created_at__lt=texts_before
                ).exclude(text="")
                removed.texts += replies.count() if dry_run else replies.update(text="")
            if clicks_before := cutoff(now, settings.click_days):
                clicks = Click.objects.filter(org=settings.org, occurred_at__lt=clicks_before)
                removed.clicks += clicks.count() if dry_run else clicks.delete()[0]
            if audit_before := cutoff(now, settings.audit_days):
                entries = AuditEntry.objects.filter(org=settings.org, created_at__lt=audit_before)
                removed.audit_entries += entries.count() if dry_run else entries.delete()[0]
    return removed
