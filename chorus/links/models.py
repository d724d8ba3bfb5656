"""Tracked links, the clicks they bring (people and bots), daily rollups, and conversions."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.db import models
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign, ContentItem
from chorus.lib.networks import Network
from chorus.orgs.models import Membership, Organization

# Unambiguous characters only (no 0/O, 1/l/I): codes get read aloud and retyped.
CODE_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 9  # 56^9 ≈ 5e15 codes: unguessable by enumeration


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def random_ref() -> str:
    """32 hex characters: opaque references and public keys."""
    return secrets.token_hex(16)


class LinkSettings(models.Model):
    """How an organisation's tracked links behave."""

    org = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="link_settings")
    fallback_url = models.URLField(
        _("fallback URL"),
        max_length=2000,
        blank=True,
        help_text=_("Where links to archived or expired content lead (e.g. your website)."),
    )
    utm_medium = models.CharField(_("utm_medium"), max_length=60, default="employee_advocacy")
    short_domain = models.CharField(
        _("custom short domain"),
        max_length=253,
        blank=True,
        help_text=_("e.g. go.example.com, pointed at this server. Empty: this server's address."),
    )
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=30)
    allowed_domains = models.TextField(
        _("domains ambassadors may link to"),
        blank=True,
        help_text=_(
            "One domain per line; each also allows its subdomains (example.com allows "
            "blog.example.com). Your content and the fallback URL's site are always allowed. "
            "Programme managers may link anywhere."
        ),
    )
    # Public key the website's tracking script sends with conversions (it is not a secret).
    site_key = models.CharField(max_length=32, unique=True, default=random_ref)
    # Secret key for server-to-server conversions (SHA-256 digest stored, never the key).
    api_key_hash = models.CharField(max_length=64, blank=True)
    api_key_hint = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("link settings")
        verbose_name_plural = _("link settings")

    def __str__(self) -> str:
        return f"{self.org} link settings"

    def domains(self) -> list[str]:
        """The domains links may point at: the list, and the fallback URL's (your own site)."""
        listed = [line.strip().lower().rstrip(".") for line in self.allowed_domains.splitlines()]
        own = (urlsplit(self.fallback_url).hostname or "") if self.fallback_url else ""
        return sorted({domain for domain in [*listed, own.rstrip(".")] if domain})

    def allows_host(self, host: str) -> bool:
        """True if `host` is an allowed domain or a subdomain of one (never a mere suffix:
        example.com does not allow badexample.com)."""
        host = host.lower().rstrip(".")
        return bool(host) and any(
            host == domain or host.endswith("." + domain) for domain in self.domains()
        )


class TrackedLink(models.Model):
    """One short code per (ambassador, item or URL, network), reused, never sequential."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tracked_links")
    code = models.CharField(max_length=16, unique=True, default=new_code)
    # Empty once the ambassador left the programme and asked for their shares to be anonymised.
    ambassador = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, related_name="tracked_links"
    )
    item = models.ForeignKey(
        ContentItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="tracked_links"
    )
    network = models.CharField(max_length=10, choices=Network.choices)
    url = models.URLField(
        max_length=2000, help_text="The address the link stands for, without UTM."
    )
    destination = models.URLField(max_length=4000)
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="tracked_links"
    )
    share_ref = models.CharField(max_length=32, default=random_ref)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ambassador", "item", "network"],
                condition=models.Q(item__isnull=False),
                name="link_unique_per_item",
            ),
            models.UniqueConstraint(
                fields=["ambassador", "url", "network"],
                condition=models.Q(item__isnull=True),
                name="link_unique_per_url",
            ),
        ]
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")

    def __str__(self) -> str:
        return self.code


class Click(models.Model):
    """One visit of a tracked link, from the click journal; bots are kept, flagged."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="clicks")
    # Written by the redirect; unique so a journal line ingested twice counts once.
    event_id = models.CharField(max_length=32, unique=True)
    occurred_at = models.DateTimeField(db_index=True)
    # SHA-256 of (the day's salt, IP, user agent), truncated; the raw IP is never stored.
    visitor = models.CharField(max_length=32)
    is_bot = models.BooleanField(default=False)
    bot_reason = models.CharField(max_length=120, blank=True)
    device = models.CharField(max_length=10, blank=True)
    referrer_domain = models.CharField(max_length=253, blank=True)
    country = models.CharField(max_length=2, blank=True)
    fallback = models.BooleanField(default=False, help_text="Sent to the fallback URL.")

    class Meta:
        indexes = [
            models.Index(fields=["link", "occurred_at"]),
            # Ingestion asks whether a visitor (a daily hash) was already counted.
            models.Index(fields=["visitor"], name="click_visitor"),
        ]

    def __str__(self) -> str:
        return self.event_id


class LinkDay(models.Model):
    """Daily rollup per link, added to by each ingestion of clicks; dashboards read these."""

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)
    bot_clicks = models.PositiveIntegerField(default=0)
    unique_visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="linkday_unique")]
        # Rollups and the activity export read an organisation's days.
        indexes = [models.Index(fields=["org", "day"], name="linkday_org_day")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day}"


class DailySalt(models.Model):
    """The salt of one day's visitor hashes; deleted after the day so hashes can't be undone."""

    day = models.DateField(unique=True)
    salt = models.CharField(max_length=64, default=random_ref)

    def __str__(self) -> str:
        return str(self.day)


class JournalCursor(models.Model):
    """How far a click journal file has been ingested (moved in the same transaction)."""

    name = models.CharField(max_length=255, unique=True)
    offset = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}@{self.offset}"


class Conversion(models.Model):
    class Kind(models.TextChoices):
        LEAD = "lead", _("Lead")
        SIGNUP = "signup", _("Sign-up")
        PURCHASE = "purchase", _("Purchase")
        CUSTOM = "custom", _("Custom")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="conversions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    occurred_at = models.DateTimeField(db_index=True)
    # Attribution (empty when no click within the window).
    click = models.ForeignKey(
        Click, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    link = models.ForeignKey(
        TrackedLink, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    ambassador = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    item = models.ForeignKey(
        ContentItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="conversions"
    )
    network = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["org", "external_id"],
                condition=~models.Q(external_id=""),
                name="conversion_unique_external_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.external_id}"
