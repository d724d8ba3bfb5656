"""Changing an ambassador's own profile, and their "not for me" on feed cards."""

from __future__ import annotations

from django.db import transaction

from chorus.content.models import ContentItem
from chorus.feed.forms import ProfileForm
from chorus.feed.models import AmbassadorProfile, Feedback
from chorus.orgs.actions import audit
from chorus.orgs.models import Membership


@transaction.atomic
def do_save_profile(member: Membership, form: ProfileForm) -> AmbassadorProfile:
    """Save the person's profile from a valid form, and audit the change."""
    profile = form.save()
    audit(member.org, member.user, "profile.change", profile)
    return profile


@transaction.atomic
def do_not_for_me(member: Membership, item: ContentItem) -> Feedback:
    """'Not for me' on a feed card: the item leaves the person's feed and similar ones sink.
    Saying it twice changes nothing."""
    feedback, _created = Feedback.objects.get_or_create(
        org=member.org, membership=member, item=item
    )
    return feedback


@transaction.atomic
def do_undo_not_for_me(member: Membership, item: ContentItem) -> bool:
    """Take back a 'not for me': the card comes back, and the ranking forgets it (the kept
    organisation feed sees a row gone and learns again). False when there was none."""
    deleted, _rows = Feedback.objects.filter(membership=member, item=item).delete()
    return bool(deleted)
