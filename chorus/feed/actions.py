"""Changing an ambassador's own profile."""

from __future__ import annotations

from django.db import transaction

from chorus.content.models import ContentItem
from chorus.feed.forms import ProfileForm
from chorus.feed.models import Feedback, Profile
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


@transaction.atomic
def do_save_profile(member: Membership, form: ProfileForm) -> Profile:
    """Save the person's profile from a valid form, and audit the change."""
    profile = form.save()
    audit(member.org, member.user, "profile.change", profile)
    return profile


def do_not_for_me(member: Membership, item: ContentItem) -> Feedback:
    """'Not for me' on a feed card: the item leaves the person's feed, similar ones sink."""
    feedback, _created = Feedback.objects.get_or_create(
        org=member.org, membership=member, item=item
    )
    return feedback
