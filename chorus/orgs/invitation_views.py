"""Invitation pages: the e-mailed link's accept page (no sign-in needed), asking for a new
link, and resending or revoking from the members page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from chorus.orgs import invitations
from chorus.orgs.access import get_invitation, org_view
from chorus.orgs.forms import ChoosePasswordForm
from chorus.orgs.models import Invitation, Membership, Role

CLOSED = "orgs/invitation_closed.html"
ACCEPT = "orgs/invitation_accept.html"


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """Let the invited person in: choose a password, sign in, or join if signed in."""
    invitation = invitations.find_invitation(token)
    if invitation is None:
        return render(request, CLOSED, {"state": "unknown"}, status=404)
    invitee = invitation.membership.user if invitation.membership else None
    state = invitation.state()
    if invitee is not None and not invitee.is_active:
        state = Invitation.State.REVOKED
    signed_in_as_invitee = request.user.is_authenticated and request.user.pk == getattr(
        invitee, "pk", None
    )
    if state == Invitation.State.ACCEPTED and signed_in_as_invitee:
        return redirect(invitations.destination(invitation))
    context: dict[str, object] = {"invitation": invitation, "org": invitation.org, "token": token}
    if state != Invitation.State.PENDING or invitee is None:
        return render(request, CLOSED, {**context, "state": state}, status=410)
    if request.user.is_authenticated:
        if not signed_in_as_invitee:
            return render(request, ACCEPT, {**context, "wrong_account": True}, status=403)
        # The link's token proves the address; being signed in as its owner is consent
        # enough to join (there is nothing else to choose).
        invitations.do_accept_invitation(invitation, invitee)
        messages.success(request, _("Welcome to %(org)s!") % {"org": invitation.org.name})
        return redirect(invitations.destination(invitation))
    if invitee.has_usable_password():
        query = urlencode({"next": request.path})
        sign_in_url = f"{reverse('account_login')}?{query}"
        return render(request, ACCEPT, {**context, "sign_in_url": sign_in_url})
    form = ChoosePasswordForm(invitee, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.do_accept_invitation(
                invitation, invitee, password=form.cleaned_data["new_password1"]
            )
        except ValidationError:
            # Revoked or accepted between the page and the form: show it as it is now.
            return redirect("invitation_accept", token=token)
        login(request, invitee, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(org)s!") % {"org": invitation.org.name})
        return redirect(invitations.destination(invitation))
    status = 400 if request.method == "POST" else 200
    return render(request, ACCEPT, {**context, "form": form}, status=status)


@require_POST
def request_new(request: HttpRequest, token: str) -> HttpResponse:
    """Ask for a new link: the inviter (or the admins) hear of it, at most once a day.

    The answer is the same whether or not the request was passed on.
    """
    invitation = invitations.find_invitation(token)
    if invitation is None:
        raise Http404
    if invitation.state() == Invitation.State.PENDING:
        return redirect("invitation_accept", token=token)
    invitations.do_request_new_invitation(invitation)
    context = {"invitation": invitation, "org": invitation.org, "requested": True}
    return render(request, CLOSED, context)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def resend(request: HttpRequest, membership: Membership, invitation_id: int) -> HttpResponse:
    invitation = get_invitation(membership, invitation_id)
    try:
        invitations.do_resend_invitation(membership, invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("A new invitation was sent to %(email)s; the previous link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("members", org=membership.org.slug)


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def revoke(request: HttpRequest, membership: Membership, invitation_id: int) -> HttpResponse:
    invitation = get_invitation(membership, invitation_id)
    try:
        invitations.do_revoke_invitation(membership, invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation of %(email)s was revoked; its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("members", org=membership.org.slug)
