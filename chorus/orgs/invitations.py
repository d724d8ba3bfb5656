"""Invitations: the e-mailed link through which a person joins an organisation.

Adding a member (members page) and inviting to the programme (programme page) both go
through an Invitation; nobody is ever sent a "password reset" e-mail they did not ask for.

When is the Membership made? **At invitation time**, as before invitations existed: the
person appears on the members page at once (with their pending invitation), the programme
can record its Participation (cohort, invited by) and its funnel counts them as invited.
The account is made too, without a usable password. The invitation is the key: its link
lets a new person choose a password and be signed in; a person who has an account signs
in (or is already signed in) and the invitation is marked accepted.

Revoking an invitation kills its link. If the membership was made for it and the person
never signed in, they are taken out of the organisation again (their password-less
account stays, as when a member is removed); otherwise they stay a member and the
`invitation_revoked` signal lets the programme withdraw its pending invitation.

Only a SHA-256 hash of each link's token is stored. One pending invitation per
(organisation, address): inviting again or resending replaces it with a new link and the
old link says it was replaced.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.orgs.access import may_manage_invitation
from chorus.orgs.actions import add_person, audit, do_remove_member
from chorus.orgs.consent import consent_paragraphs
from chorus.orgs.models import Invitation, Membership, Organization, Role, Team
from chorus.orgs.signals import invitation_revoked

# At most one "please send me a new link" is passed on per invitation in this period.
RENEWAL_INTERVAL = timedelta(hours=24)
DEFAULT_ACCENT = "#4338ca"


def hash_token(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode()).hexdigest()


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose link carries `token`, whatever its state, or None."""
    return (
        Invitation.objects.select_related("org", "membership__user", "invited_by__user", "team")
        .filter(token_hash=hash_token(token))
        .first()
    )


def accept_url(token: str, request: HttpRequest | None = None) -> str:
    """The absolute address of the accept page for `token`."""
    path = reverse("invitation_accept", kwargs={"token": token})
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.CHORUS_BASE_URL.rstrip("/") + path


def destination(invitation: Invitation) -> str:
    """Where the person lands once in: the programme's opt-in page, or the org's home."""
    name = "programme_join" if invitation.programme else "org_home"
    return reverse(name, kwargs={"org": invitation.org.slug})


# --- Actions ------------------------------------------------------------------------------


@transaction.atomic
def do_create_invitation(
    org: Organization,
    email: str,
    role: str,
    *,
    invited_by: Membership | None = None,
    team: Team | None = None,
    send: bool = True,
    request: HttpRequest | None = None,
    programme: bool = False,
) -> tuple[Invitation, str]:
    """Invite `email` to `org` as `role` (a member already keeps their role and team).

    Makes the account and membership if needed, replaces any pending invitation for the
    address, and e-mails the link after commit unless send=False. Returns the invitation
    and its absolute accept URL (from the request, else CHORUS_BASE_URL). `programme`:
    the invitation is to the ambassador programme (accepting leads to its opt-in page).
    """
    return _issue(
        org,
        email,
        role,
        invited_by=invited_by,
        team=team,
        send=send,
        request=request,
        programme=programme,
        action="invitation.create",
    )


@transaction.atomic
def do_invite_member(
    actor: Membership,
    email: str,
    role: str,
    team: Team | None = None,
    *,
    first_name: str = "",
    last_name: str = "",
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Add a person to the actor's organisation and e-mail them an invitation."""
    email = email.strip().lower()
    if Membership.objects.filter(org=actor.org, user__email=email).exists():
        raise ValidationError(_("This person is already a member."))
    return _issue(
        actor.org,
        email,
        role,
        invited_by=actor,
        team=team,
        send=True,
        request=request,
        programme=False,
        action="invitation.create",
        first_name=first_name,
        last_name=last_name,
    )


@transaction.atomic
def do_resend_invitation(
    actor: Membership, invitation: Invitation, *, request: HttpRequest | None = None
) -> tuple[Invitation, str]:
    """Send a new link (valid for the full period again); the old link stops working."""
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted."))
    return _issue(
        invitation.org,
        invitation.email,
        invitation.role,
        invited_by=actor,
        team=invitation.team,
        send=True,
        request=request,
        programme=invitation.programme,
        action="invitation.resend",
    )


@transaction.atomic
def do_revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    """Kill the link; a person added for it who never signed in leaves the org again."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError(_("This invitation was already accepted."))
    if invitation.revoked_at is not None:
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit(invitation.org, actor.user, "invitation.revoke", invitation)
    member = invitation.membership
    if member is None:
        return
    if invitation.created_membership and member.user.last_login is None:
        do_remove_member(actor, member)
    else:
        invitation_revoked.send(sender=Invitation, invitation=invitation, membership=member)


@transaction.atomic
def do_accept_invitation(
    invitation: Invitation, user: Any, *, password: str | None = None
) -> Invitation:
    """Mark the invitation accepted by `user`, who must be the invited person; a new
    person's chosen `password` (already validated) is set at the same time."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("org", "membership__user")
        .get(pk=invitation.pk)
    )
    if invitation.state() != Invitation.State.PENDING:
        raise ValidationError(_("This invitation can no longer be used."))
    if invitation.membership is None or invitation.membership.user_id != user.pk:
        raise ValidationError(_("This invitation is for someone else."))
    if password is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit(invitation.org, user, "invitation.accept", invitation)
    return invitation


@transaction.atomic
def do_request_new_invitation(invitation: Invitation) -> bool:
    """Pass on to the inviter (or the org admins) that the invitee wants a new link.

    At most once per RENEWAL_INTERVAL per invitation; returns whether it was passed on.
    The invitee is told the same thing either way.
    """
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    now = timezone.now()
    if invitation.state(now) == Invitation.State.PENDING:
        return False
    last = invitation.renewal_requested_at
    if last is not None and last > now - RENEWAL_INTERVAL:
        return False
    invitation.renewal_requested_at = now
    invitation.save(update_fields=["renewal_requested_at"])
    audit(invitation.org, None, "invitation.renewal_request", invitation)
    transaction.on_commit(partial(_send_renewal_request, invitation.pk))
    return True


def _issue(
    org: Organization,
    email: str,
    role: str,
    *,
    invited_by: Membership | None,
    team: Team | None,
    send: bool,
    request: HttpRequest | None,
    programme: bool,
    action: str,
    first_name: str = "",
    last_name: str = "",
) -> tuple[Invitation, str]:
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid e-mail address.")) from None
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if invited_by is not None and invited_by.org_id != org.pk:
        raise ValidationError(_("The inviter must be a member of this organisation."))
    if team is not None and team.org_id != org.pk:
        raise ValidationError(_("The team must belong to this organisation."))
    previous = Invitation.objects.select_for_update().filter(org=org, email=email).pending().first()
    member = Membership.objects.select_related("user").filter(org=org, user__email=email).first()
    created_membership = previous is not None and previous.created_membership
    if member is None:
        actor = invited_by.user if invited_by is not None else None
        member = add_person(
            org, email, role, team, actor=actor, first_name=first_name, last_name=last_name
        )
        created_membership = True
    now = timezone.now()
    if previous is not None:
        previous.revoked_at = now
        previous.save(update_fields=["revoked_at"])
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        org=org,
        email=email,
        role=member.role,
        team=member.team,
        membership=member,
        created_membership=created_membership,
        invited_by=invited_by,
        programme=programme or (previous is not None and previous.programme),
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(days=settings.CHORUS_INVITATION_DAYS),
    )
    if previous is not None:
        previous.replaced_by = invitation
        previous.save(update_fields=["replaced_by"])
    audit(
        org,
        invited_by.user if invited_by is not None else None,
        action,
        invitation,
        {"role": [None, invitation.role], "programme": [None, invitation.programme]},
    )
    url = accept_url(token, request)
    if send:
        transaction.on_commit(partial(send_invitation, invitation.pk, url))
    return invitation, url


# --- E-mails ------------------------------------------------------------------------------


def programme_pitch(org: Organization) -> str:
    """What the programme is, in a sentence or two, in the active language.

    The opt-in page's first paragraph is the pitch the person reads again when they join.
    """
    paragraphs = consent_paragraphs(org)
    if paragraphs:
        return paragraphs[0][1]
    return _(
        "%(org)s invites colleagues who wish to share its news on their own networks, "
        "in their own words."
    ) % {"org": org.name}


def _branding(org: Organization, base_url: str) -> dict[str, str]:
    logo = getattr(org, "logo", None)
    logo_url = ""
    if logo:
        try:
            logo_url = logo.url
        except ValueError:  # an ImageField with no file
            logo_url = ""
        if logo_url.startswith("/"):
            logo_url = base_url + logo_url
    return {"logo_url": logo_url, "accent": getattr(org, "accent_color", "") or DEFAULT_ACCENT}


def build_invitation_email(invitation: Invitation, url: str) -> EmailMultiAlternatives:
    """The invitation e-mail (text and HTML) in the person's language, else the org's."""
    org = invitation.org
    user = invitation.membership.user if invitation.membership else None
    language = (user.language if user else "") or org.default_language
    base_url = settings.CHORUS_BASE_URL.rstrip("/")
    inviter = invitation.invited_by.user.display_name if invitation.invited_by else ""
    time_zone = getattr(org, "time_zone", "") or settings.TIME_ZONE
    with translation.override(language), timezone.override(time_zone):
        context = {
            "org": org,
            "invitation": invitation,
            "url": url,
            "inviter": inviter,
            "pitch": programme_pitch(org),
            "first_name": user.first_name if user else "",
            "language": language,
            "expires_at": invitation.expires_at,
            **_branding(org, base_url),
        }
        subject = render_to_string("orgs/email/invitation_subject.txt", context).strip()
        text = render_to_string("orgs/email/invitation.txt", context)
        html = render_to_string("orgs/email/invitation.html", context)
    message = EmailMultiAlternatives(
        subject, text, None, [invitation.email], headers={"Content-Language": language}
    )
    message.attach_alternative(html, "text/html")
    return message


def send_invitation(invitation_id: int, url: str) -> None:
    invitation = Invitation.objects.select_related(
        "org", "membership__user", "invited_by__user"
    ).get(pk=invitation_id)
    build_invitation_email(invitation, url).send()


def renewal_recipients(invitation: Invitation) -> list[Membership]:
    """Who hears that the invitee wants a new link: the inviter if they still may resend
    it, else the organisation's active admins."""
    inviter = invitation.invited_by
    if (
        inviter is not None
        and inviter.is_active
        and inviter.user.is_active
        and may_manage_invitation(inviter, invitation)
    ):
        return [inviter]
    return list(
        Membership.objects.active()
        .filter(org=invitation.org, role=Role.ORG_ADMIN)
        .select_related("user")
    )


def _send_renewal_request(invitation_id: int) -> None:
    invitation = Invitation.objects.select_related("org", "invited_by__user").get(pk=invitation_id)
    org = invitation.org
    base_url = settings.CHORUS_BASE_URL.rstrip("/")
    members_url = base_url + reverse("members", kwargs={"org": org.slug})
    for recipient in renewal_recipients(invitation):
        language = recipient.user.language or org.default_language
        with translation.override(language):
            context = {"org": org, "invitation": invitation, "members_url": members_url}
            subject = render_to_string("orgs/email/renewal_request_subject.txt", context).strip()
            text = render_to_string("orgs/email/renewal_request.txt", context)
        EmailMultiAlternatives(
            subject, text, None, [recipient.user.email], headers={"Content-Language": language}
        ).send()
