"""Organisations (tenants), their teams, people's memberships and roles, and the audit log."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.orgs.validators import (
    logo_path,
    validate_accent_color,
    validate_logo,
    validate_time_zone,
)


class Role(models.TextChoices):
    """What a member may do; each role includes what the roles below it may do."""

    AMBASSADOR = "ambassador", _("Ambassador")
    TEAM_MANAGER = "team_manager", _("Team manager")
    PROGRAM_MANAGER = "program_manager", _("Program manager")
    ORG_ADMIN = "org_admin", _("Organisation admin")

    @classmethod
    def rank(cls, role: str) -> int:
        return [choice.value for choice in cls].index(role)


class Organization(models.Model):
    """A tenant: every row of user data belongs to exactly one organisation."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("An IANA name, e.g. Europe/Paris."),
    )
    logo = models.ImageField(
        _("logo"),
        upload_to=logo_path,
        blank=True,
        validators=[validate_logo],
        help_text=_("PNG, JPEG or WebP, 512 KB at most; shown in the header."),
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[validate_accent_color],
        help_text=_("Shown as a stripe along the header, e.g. #4338ca. Empty: none."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(_("name"), max_length=120)
    manager = models.ForeignKey(
        "Membership",
        verbose_name=_("manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_teams",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["org", "name"], name="team_unique_name")]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A person's place in one organisation: their role and team."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AMBASSADOR)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    is_active = models.BooleanField(_("active"), default=True)
    # Reviewer: may approve, edit or decline posts held for review (chorus.governance),
    # whatever their role; a compliance officer is often not a manager.
    is_reviewer = models.BooleanField(_("reviewer"), default=False)
    joined_at = models.DateTimeField(_("joined"), auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["org", "user"], name="membership_unique_person")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.org}"

    def has_role(self, role: str) -> bool:
        """True if this member's role is `role` or above it."""
        return Role.rank(self.role) >= Role.rank(role)

    @property
    def is_org_admin(self) -> bool:
        return self.role == Role.ORG_ADMIN

    @property
    def can_manage_programme(self) -> bool:
        return self.has_role(Role.PROGRAM_MANAGER)


class AuditEntry(models.Model):
    """Who changed what, and when; written by the do_* actions, never edited."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as text so the entry stays readable after the person is deleted.
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.target_label}"


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (possibly expired: inviting again replaces it)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An e-mailed link that lets one person into an organisation (and its programme).

    Only a SHA-256 hash of the link's token is kept: a copy of the database does not let
    anyone in. chorus/orgs/invitations.py creates, sends, accepts and revokes them.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced by a newer invitation")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.AMBASSADOR)
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.SET_NULL, null=True, blank=True
    )
    # The membership is made when the person is invited (see invitations.py); a removed
    # member's invitation no longer lets anyone in.
    membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )
    # True when the membership was made for this invitation (or the one it replaced):
    # revoking it before the person ever signed in takes them out again.
    created_membership = models.BooleanField(default=False)
    invited_by = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # An invitation to the ambassador programme: accepting leads to its opt-in page.
    programme = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When the invitee last asked for a new link (at most one request a day is passed on).
    renewal_requested_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_pending",
            )
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    def state(self, now: datetime | None = None) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.replaced_by_id is not None:
            return self.State.REPLACED
        if self.revoked_at is not None or self.membership_id is None:
            return self.State.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def is_expired(self) -> bool:
        return self.state() == self.State.EXPIRED


class SetupCode(models.Model):
    """The one-time code that lets the first visitor of an empty instance set it up.

    Only a keyed hash is kept; the code itself is shown once, on the server's console. It
    belongs to the instance, not to an organisation: there is none yet.
    """

    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"set-up code of {self.created_at:%Y-%m-%d %H:%M}"
