"""The text a person reads and accepts to join the programme (recorded with its version).

In orgs, not program: the invitation e-mails (orgs.invitations) quote it, below the programme."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chorus.orgs.models import Organization


def consent_paragraphs(org: Organization) -> list[tuple[str, str]]:
    """(heading, text) pairs, in the active language."""
    return [
        (
            _("What the programme is"),
            _(
                "%(org)s invites colleagues who wish to share the company's news on their own "
                "social networks, in their own words. Taking part is voluntary."
            )
            % {"org": org.name},
        ),
        (
            _("What is asked"),
            _(
                "Nothing is mandatory: you receive suggestions that fit your interests, you "
                "choose what to share, when, and with which words. You can pause or leave at "
                "any time from your profile."
            ),
        ),
        (
            _("What data is used"),
            _(
                "Your name, team, the topics and networks you choose, what you share through "
                "Chorus and the clicks your links bring (counted without storing visitors' IP "
                "addresses). Your social accounts stay yours: Chorus only posts what you ask it "
                "to post."
            ),
        ),
    ]


def consent_text(org: Organization) -> str:
    return "\n\n".join(f"{heading}\n{text}" for heading, text in consent_paragraphs(org))
