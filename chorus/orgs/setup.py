"""Creating and configuring organisations: first-run set-up, provisioning, branding.

An instance starts empty (`CHORUS_DEMO=0 make run`, or any fresh deployment). Its first
organisation is made on the set-up page (`/setup/`), which asks for a one-time code that
`chorus serve` prints on the console when it starts on an empty instance (as Grafana and
GitLab do): whoever reaches the server first over the network must not get to own it.
Only a keyed hash of the code is stored, it expires, a few wrong guesses burn it, and it
is used once. Once an organisation exists the set-up page is gone.

Further organisations are made by an instance operator (a superuser) on
`/operator/organisations/`, or by `chorus create-organisation`: both make the first admin's
account and membership, and an invitation whose link lets that person choose a password
(memberships are made at invitation time: see chorus/orgs/invitations.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from chorus.orgs.actions import audit, do_create_organization
from chorus.orgs.invitations import do_create_invitation
from chorus.orgs.models import Invitation, Membership, Organization, Role, SetupCode
from chorus.orgs.validators import logo_format, validate_accent_color, validate_time_zone

SETUP_CODE_LIFETIME = timedelta(hours=24)
# Wrong codes tried before the code stops working (a new one: `chorus setup-code`). With
# 60 random bits a guess is hopeless anyway; the limit keeps it so.
SETUP_CODE_MAX_FAILURES = 5
# No 0/O, 1/I/L: the code is read off a terminal and typed by hand.
SETUP_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SETUP_CODE_GROUPS = 3
SETUP_CODE_GROUP_LENGTH = 4


def instance_is_empty() -> bool:
    """True while the instance has no organisation at all (the set-up page is open)."""
    return not Organization.objects.exists()


# --- The one-time set-up code --------------------------------------------------------------


def _normalise_code(code: str) -> str:
    return "".join(character for character in code.upper() if character.isalnum())


def _hash_code(code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the database alone does not allow guessing offline.
    return salted_hmac("chorus.setup-code", _normalise_code(code), algorithm="sha256").hexdigest()


def issue_setup_code(now: datetime | None = None) -> str:
    """Make a new one-time set-up code (any earlier one stops working) and return it.

    Only its hash is stored; the caller shows the code once, to the operator.
    """
    now = now or timezone.now()
    groups = [
        "".join(secrets.choice(SETUP_CODE_ALPHABET) for _ in range(SETUP_CODE_GROUP_LENGTH))
        for _ in range(SETUP_CODE_GROUPS)
    ]
    code = "-".join(groups)
    with transaction.atomic():
        SetupCode.objects.all().delete()
        SetupCode.objects.create(code_hash=_hash_code(code), expires_at=now + SETUP_CODE_LIFETIME)
    return code


def check_setup_code(code: str, now: datetime | None = None) -> SetupCode:
    """Return the current set-up code's row if `code` is it; else count a failure and raise.

    Not inside the caller's transaction: a wrong guess must be counted even though the
    set-up is refused.
    """
    now = now or timezone.now()
    current = SetupCode.objects.filter(used_at__isnull=True).first()
    if current is None or current.expires_at <= now:
        raise ValidationError(
            _(
                "There is no valid set-up code. Run “chorus setup-code” on the server "
                "for a new one."
            ),
            code="no_code",
        )
    if current.failed_attempts >= SETUP_CODE_MAX_FAILURES:
        raise ValidationError(
            _(
                "Too many wrong codes were tried: this one no longer works. Run "
                "“chorus setup-code” on the server for a new one."
            ),
            code="too_many_failures",
        )
    if not constant_time_compare(_hash_code(code), current.code_hash):
        SetupCode.objects.filter(pk=current.pk).update(failed_attempts=F("failed_attempts") + 1)
        raise ValidationError(_("This set-up code is not the right one."), code="wrong_code")
    return current


@dataclass
class SetupResult:
    org: Organization
    admin: Any


@transaction.atomic
def do_set_up_instance(
    setup_code: SetupCode,
    *,
    name: str,
    slug: str,
    language: str,
    time_zone: str,
    first_name: str,
    last_name: str,
    email: str,
    password: str,
) -> SetupResult:
    """Create the instance's first organisation and its admin, using up the set-up code.

    The admin is also the instance's operator (a superuser): they may create further
    organisations. Refuses if an organisation exists or the code was used meanwhile.
    """
    now = timezone.now()
    claimed = SetupCode.objects.filter(
        pk=setup_code.pk,
        used_at__isnull=True,
        expires_at__gt=now,
        failed_attempts__lt=SETUP_CODE_MAX_FAILURES,
    ).update(used_at=now)
    if claimed != 1:
        raise ValidationError(_("This set-up code was already used."), code="used_code")
    if Organization.objects.exists():
        raise ValidationError(_("This instance is already set up."), code="already_set_up")
    email = _checked_new_organisation(name, slug, email, time_zone)
    User = get_user_model()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            _("An account with this e-mail address already exists."), code="email_taken"
        )
    admin = User.objects.create_user(
        email, password, first_name=first_name, last_name=last_name, is_superuser=True
    )
    org = _create(name, slug, admin, language, time_zone)
    return SetupResult(org=org, admin=admin)


# --- Further organisations: the operator's page and `chorus create-organisation` ----------


@dataclass
class ProvisionResult:
    org: Organization
    admin_membership: Membership
    invitation: Invitation
    accept_url: str


def _checked_new_organisation(name: str, slug: str, email: str, time_zone: str) -> str:
    """Check what forms check too (the command has no form); return the e-mail normalised."""
    if not name.strip():
        raise ValidationError(_("The organisation needs a name."), code="name")
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError(
            _("“%(slug)s” is not a valid slug: use letters, digits, hyphens and underscores.")
            % {"slug": slug},
            code="slug",
        ) from None
    if Organization.objects.filter(slug__iexact=slug).exists():
        raise ValidationError(
            _("The slug “%(slug)s” is already taken.") % {"slug": slug}, code="slug_taken"
        )
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            _("“%(email)s” is not a valid e-mail address.") % {"email": email}, code="email"
        ) from None
    validate_time_zone(time_zone)
    return email


def _create(name: str, slug: str, admin: Any, language: str, time_zone: str) -> Organization:
    org = do_create_organization(name.strip(), slug.lower(), admin, language)
    if time_zone != org.time_zone:
        org.time_zone = time_zone
        org.save(update_fields=["time_zone"])
    return org


@transaction.atomic
def do_provision_organization(
    *,
    name: str,
    slug: str,
    admin_email: str,
    language: str = "en",
    time_zone: str = "UTC",
    operator: Any = None,
    send: bool = True,
    request: HttpRequest | None = None,
) -> ProvisionResult:
    """Create an organisation whose first admin is `admin_email`, and invite that person.

    A new account gets no usable password: the invitation's link (returned, and e-mailed
    unless send=False) lets them choose one. An existing account is made admin and signs in
    as usual. `operator` is the superuser who asked (None: a console command).
    """
    email = _checked_new_organisation(name, slug, admin_email, time_zone)
    User = get_user_model()
    admin = User.objects.filter(email__iexact=email).first()
    if admin is None:
        admin = User.objects.create_user(email)  # no password: an unusable one
    org = _create(name, slug, admin, language, time_zone)
    if operator is not None:
        audit(org, operator, "org.provision", org, {"admin": [None, email]})
    admin_membership = Membership.objects.get(org=org, user=admin)
    invitation, url = do_create_invitation(org, email, Role.ORG_ADMIN, send=send, request=request)
    return ProvisionResult(
        org=org, admin_membership=admin_membership, invitation=invitation, accept_url=url
    )


# --- An organisation's own settings: name, logo, colour, language, time zone --------------


@transaction.atomic
def do_change_organization(
    actor: Membership,
    *,
    name: str,
    default_language: str,
    time_zone: str,
    accent_color: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> dict[str, list[Any]]:
    """Change the organisation's name and branding; audit {field: [before, after]}.

    `logo`: a new image (already checked by the form; checked again here), stored under a
    random name with its real format's extension. The replaced file is deleted after commit.
    """
    org = Organization.objects.select_for_update().get(pk=actor.org_id)
    validate_time_zone(time_zone)
    if accent_color:
        validate_accent_color(accent_color)
    changes: dict[str, list[Any]] = {}
    values = {
        "name": name.strip(),
        "default_language": default_language,
        "time_zone": time_zone,
        "accent_color": accent_color.lower(),
    }
    for field, new in values.items():
        old = getattr(org, field)
        if old != new:
            changes[field] = [old, new]
            setattr(org, field, new)
    old_logo = org.logo.name if org.logo else ""
    if logo is not None:
        # Written to storage before the commit; should the transaction fail, the file is an
        # orphan under a random name that no row points to (Django has no on-rollback hook).
        extension = logo_format(logo)
        org.logo.save(f"logo.{extension}", logo, save=False)
        changes["logo"] = [old_logo or None, org.logo.name]
    elif remove_logo and old_logo:
        org.logo = ""  # type: ignore[assignment]
        changes["logo"] = [old_logo, None]
    if not changes:
        return changes
    org.save(update_fields=list(changes))
    audit(org, actor.user, "org.change", org, changes)
    if "logo" in changes and old_logo:
        storage = org.logo.storage
        transaction.on_commit(partial(storage.delete, old_logo))
    return changes
