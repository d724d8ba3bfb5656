"""Inviting people to the programme, opting in, declining and leaving."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chorus.content.models import ContentItem
from chorus.orgs.actions import audit, do_change_settings
from chorus.orgs.consent import consent_text
from chorus.orgs.invitations import do_create_invitation
from chorus.orgs.models import Membership, Role
from chorus.program.models import (
    CONSENT_VERSION,
    Cohort,
    HealthThresholds,
    Participation,
    Question,
    Resource,
    ResourceRead,
    ResourceText,
    Workshop,
    WorkshopSignup,
    new_token,
)
from chorus.program.signals import participant_left, question_answered
from chorus.webhooks.events import emit

# Erasing a person's contributions reaches into every app's models, so it lives in a higher
# layer (chorus.accounts.personal_data) and registers itself here when the apps are ready
# (AccountsConfig.ready): programme code calls it without importing upward.
_erase_contributions: Callable[[Membership], None] | None = None


def register_contributions_eraser(eraser: Callable[[Membership], None]) -> None:
    """Set what `do_leave(anonymise=True)` calls to erase the person's contributions."""
    global _erase_contributions
    _erase_contributions = eraser


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
    """Invite each address (adding unknown people to the organisation as ambassadors).

    Each person gets an invitation e-mail (chorus.orgs.invitations) whose link leads, once
    they are signed in, to the programme's opt-in page.
    """
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
            participation = Participation.objects.filter(
                org=actor.org, membership__user__email=email
            ).first()
            if participation is not None and participation.is_active:
                report.already_in.append(email)
                continue
            invitation, _url = do_create_invitation(
                actor.org,
                email,
                Role.AMBASSADOR,
                invited_by=actor,
                request=request,
                programme=True,
            )
            member = invitation.membership
            assert member is not None  # just made or found by do_create_invitation
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
        report.invited.append(email)
    return report


@transaction.atomic
def do_create_cohort(actor: Membership, cohort: Cohort) -> Cohort:
    """Save a new cohort (built by CohortForm, not saved yet) in the actor's organisation,
    and audit it. A name the organisation already uses (in any case) raises ValidationError
    on `name`, and nothing is saved."""
    if Cohort.objects.filter(org=actor.org, name__iexact=cohort.name).exists():
        raise ValidationError({"name": _("This name is already used.")})
    cohort.org = actor.org
    cohort.save()
    audit(actor.org, actor.user, "cohort.create", cohort)
    return cohort


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
    emit(
        member.org_id,
        "member.joined_programme",
        {
            "member_id": member.pk,
            "email": member.user.email,
            "joined_at": participation.opted_in_at,
        },
        subject=member.pk,
    )
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
def do_leave(member: Membership, *, anonymise: bool, actor: Any = None) -> Participation:
    """Leave now: every app stops what it does for the person (participant_left); with
    `anonymise`, their contributions are erased (chorus.accounts.personal_data, registered
    with `register_contributions_eraser`).

    `actor` is who made them leave when it was not the person (the directory, by SCIM)."""
    participation = Participation.objects.select_for_update().get(membership=member)
    participation.status = Participation.Status.LEFT
    participation.left_at = timezone.now()
    participation.anonymised = anonymise
    participation.save(update_fields=["status", "left_at", "anonymised"])
    audit(
        member.org,
        member.user if actor is None else actor,
        "programme.leave",
        member,
        {"anonymise": [None, anonymise]},
    )
    if anonymise:
        # Sends participant_left itself, then erases what the apps' receivers leave.
        if _erase_contributions is None:
            raise ImproperlyConfigured("No eraser of contributions is registered.")
        _erase_contributions(member)
    else:
        participant_left.send(sender=Participation, membership=member, anonymise=False)
    participation.refresh_from_db()
    return participation


# --- Training, workshops, questions and nudges -------------------------------------------


class ActionRefused(Exception):
    """A clear, translated reason why an action cannot be done now."""


@transaction.atomic
def do_save_resource(actor: Membership, resource: Resource | None, data: dict) -> Resource:
    from django.conf import settings

    if resource is None:
        resource = Resource(org=actor.org)
    resource.kind = data["kind"]
    resource.is_guide = data["is_guide"]
    resource.url = data.get("url") or ""
    resource.position = data.get("position") or 0
    resource.save()
    if resource.is_guide:
        # One guide per programme: the onboarding step points to it.
        Resource.objects.filter(org=actor.org, is_guide=True).exclude(pk=resource.pk).update(
            is_guide=False
        )
    for code, _name in settings.LANGUAGES:
        title = (data.get(f"title_{code}") or "").strip()
        if title:
            ResourceText.objects.update_or_create(
                resource=resource,
                language=code,
                defaults={"title": title, "body": data.get(f"body_{code}") or ""},
            )
        else:
            ResourceText.objects.filter(resource=resource, language=code).delete()
    audit(actor.org, actor.user, "resource.save", resource)
    return resource


def do_mark_read(member: Membership, resource: Resource) -> ResourceRead:
    read, _created = ResourceRead.objects.get_or_create(resource=resource, membership=member)
    return read


@transaction.atomic
def do_create_workshop(actor: Membership, workshop: Workshop) -> Workshop:
    """Save a new workshop (built by WorkshopForm, not saved yet) in the actor's organisation."""
    workshop.org = actor.org
    workshop.created_by = actor
    workshop.save()
    audit(actor.org, actor.user, "workshop.create", workshop)
    return workshop


@transaction.atomic
def do_signup(member: Membership, workshop: Workshop) -> WorkshopSignup:
    from chorus.program.models import is_participant

    workshop = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if not is_participant(member):
        raise ActionRefused(_("Join the programme to sign up for workshops."))
    if workshop.starts_at <= timezone.now():
        raise ActionRefused(_("This workshop has already started."))
    existing = WorkshopSignup.objects.filter(workshop=workshop, membership=member).first()
    if existing is not None:
        return existing
    if workshop.capacity is not None and workshop.signups.count() >= workshop.capacity:
        raise ActionRefused(_("This workshop is full."))
    return WorkshopSignup.objects.create(workshop=workshop, membership=member)


def do_cancel_signup(member: Membership, workshop: Workshop) -> None:
    """Release my place; once the workshop started, the list is kept for attendance."""
    if workshop.starts_at <= timezone.now():
        raise ActionRefused(_("This workshop has already started."))
    WorkshopSignup.objects.filter(workshop=workshop, membership=member).delete()


@transaction.atomic
def do_record_attendance(actor: Membership, workshop: Workshop, present: set[int]) -> int:
    """Mark who came (signup ids in `present`) and who did not."""
    signups = list(WorkshopSignup.objects.select_for_update().filter(workshop=workshop))
    for signup in signups:
        signup.attended = signup.pk in present
    WorkshopSignup.objects.bulk_update(signups, ["attended"])
    audit(actor.org, actor.user, "workshop.attendance", workshop, {"present": [None, len(present)]})
    return len(signups)


def do_ask(
    member: Membership, text: str, *, context_path: str = "", item: ContentItem | None = None
) -> Question:
    return Question.objects.create(
        org=member.org,
        asked_by=member,
        text=text.strip(),
        context_path=context_path[:300],
        item=item,
        language=translation.get_language() or "",
    )


@transaction.atomic
def do_answer(actor: Membership, question: Question, data: dict) -> Question:
    """Answer; the asker is notified (if still in the programme: `question_answered`,
    received by notify); optionally into the FAQ."""
    first_answer = question.answered_at is None
    question.answer = data["answer"].strip()
    question.answered_by = actor
    question.answered_at = timezone.now()
    question.in_faq = bool(data.get("in_faq"))
    question.faq_question = (data.get("faq_question") or "").strip()
    question.faq_answer = (data.get("faq_answer") or "").strip()
    question.save()
    audit(actor.org, actor.user, "question.answer", question, {"faq": [None, question.in_faq]})
    transaction.on_commit(
        lambda: question_answered.send(
            sender=Question, question=question, first_answer=first_answer
        )
    )
    return question


def do_change_thresholds(actor: Membership, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Change where the programme-health checks turn to watch and to act; audited."""
    return do_change_settings(
        actor, HealthThresholds.for_org(actor.org), values, "health.thresholds"
    )
