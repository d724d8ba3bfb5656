"""The social networks Chorus knows, with their codes used across the app and the API."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Network(models.TextChoices):
    LINKEDIN = "linkedin", "LinkedIn"
    X = "x", "X"
    MASTODON = "mastodon", "Mastodon"
    BLUESKY = "bluesky", "Bluesky"
    FACEBOOK = "facebook", "Facebook"


LANGUAGE_CHOICES = [("en", _("English")), ("fr", _("French"))]
