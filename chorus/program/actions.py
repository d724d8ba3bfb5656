"""Inviting people to the programme, opting in, declining and leaving."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.orgs.actions import audit, do_add_member
from chorus.orgs.models import Membership, Role
from chorus.program.consent import consent_text
from chorus.program.models import CONSENT_VERSION, Cohort, Participation, new_token
from chorus.program.signals import participant_left


@dataclass
class InviteReport:
    invited: list[str] = field(default_factory=list)
    already_in: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def do_invite(
    actor: Membership,
    emails: Iterable[str],
    cohort: Cohort | None,
    *,
    request: HttpRequest | None = None,
) -> InviteReport:
    """Invite each address (adding unknown people to the organisation as ambassadors)."""
    report = InviteReport()
    for raw in emails:
        email = raw.strip().lower()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            report.errors.append((email, _("not an e-mail address")))
            continue
        with transaction.atomic():
            member = Membership.objects.filter(org=actor.org, user__email=email).first()
            if member is None:
                member = do_add_member(actor, email, Role.AMBASSADOR, request=request)
            participation = Participation.objects.filter(membership=member).first()
            if participation is not None and participation.is_active:
                report.already_in.append(email)
                continue
            if participation is None:
                participation = Participation(org=actor.org, membership=member)
            participation.status = Participation.Status.INVITED
            participation.cohort = cohort
            participation.invited_by = actor
            participation.token = new_token()
            participation.save()
            audit(
                actor.org, actor.user, "programme.invite", member, {"cohort": [None, str(cohort)]}
            )
            if request is not None:
                transaction.on_commit(partial(_send_invitation, request, member))
        report.invited.append(email)
    return report


def _send_invitation(request: HttpRequest, member: Membership) -> None:
    url = request.build_absolute_uri(reverse("programme_join", kwargs={"org": member.org.slug}))
    language = member.user.language or member.org.default_language
    with translation.override(language):
        send_mail(
            _("You are invited to %(org)s's ambassador programme") % {"org": member.org.name},
            _(
                "Hello,\n\nYou are invited to join %(org)s's ambassador programme on Chorus: "
                "share the company's news on your own networks, in your own words, if and when "
                "you wish.\n\nRead what it involves and decide here: %(url)s\n"
            )
            % {"org": member.org.name, "url": url},
            None,
            [member.user.email],
        )


@transaction.atomic
def do_opt_in(member: Membership) -> Participation:
    """Join, recording the consent text shown (in the active language) and the time."""
    participation = Participation.objects.select_for_update().get(membership=member)
    participation.status = Participation.Status.ACTIVE
    participation.consent_version = CONSENT_VERSION
    participation.consent_text = consent_text(member.org)
    participation.consent_language = translation.get_language() or ""
    participation.opted_in_at = participation.decided_at = timezone.now()
    participation.left_at = None
    participation.anonymised = False
    participation.save()
    audit(member.org, member.user, "programme.opt_in", member)
    return participation


@transaction.atomic
def do_decline(member: Membership) -> Participation:
    """Decline: final until the programme invites the person again."""
    participation = Participation.objects.select_for_update().get(membership=member)
    participation.status = Participation.Status.DECLINED
    participation.decided_at = timezone.now()
    participation.save(update_fields=["status", "decided_at"])
    audit(member.org, member.user, "programme.decline", member)
    return participation


@transaction.atomic
def do_leave(member: Membership, *, anonymise: bool) -> Participation:
    """Leave now: every app stops what it does for the person (participant_left)."""
    participation = Participation.objects.select_for_update().get(membership=member)
    participation.status = Participation.Status.LEFT
    participation.left_at = timezone.now()
    participation.anonymised = anonymise
    participation.save(update_fields=["status", "left_at", "anonymised"])
    audit(member.org, member.user, "programme.leave", member, {"anonymise": [None, anonymise]})
    participant_left.send(sender=Participation, membership=member, anonymise=anonymise)
    return participation
