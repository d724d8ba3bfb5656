"""API of a person's account (name, language) and an org admin's personal-data requests
about a member: the export, and erasure."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from chorus.accounts.forms import ProfileForm
from chorus.accounts.personal_data import Scope, do_erase_person, do_export_member
from chorus.accounts.personal_data_views import EraseForm
from chorus.api.common import ErrorOut, Id, InvalidOut, membership_of, require, validated
from chorus.orgs.access import get_member
from chorus.orgs.models import Role

router = Router(tags=["people"])


class AccountOut(Schema):
    email: str
    first_name: str
    last_name: str
    language: str


class AccountPatch(Schema):
    first_name: str | None = None
    last_name: str | None = None
    language: str | None = Field(None, description="en or fr; empty: the organisation's.")


@router.patch(
    "/me/account",
    response={200: AccountOut, 400: InvalidOut},
    summary="Change my name or interface language",
)
def patch_account(request: HttpRequest, payload: AccountPatch) -> Any:
    user = membership_of(request).user
    current = {
        "first_name": user.first_name,
        "last_name": user.last_name,
        "language": user.language,
    }
    form = ProfileForm({**current, **payload.dict(exclude_unset=True)}, instance=user)
    validated(form)
    form.save()
    return user


class EraseIn(Schema):
    email: str = Field(..., description="The person's e-mail address, to confirm.")


class ErasureOut(Schema):
    account_erased: bool = Field(
        ..., description="false: the account stays for the person's other organisations."
    )


@router.get(
    "/members/{membership_id}/data",
    response={200: dict[str, Any], 403: ErrorOut, 404: ErrorOut},
    summary="What the organisation holds about a member (org admins; audited)",
)
def member_data(request: HttpRequest, membership_id: Id) -> Any:
    membership = membership_of(request)
    member = get_member(membership, membership_id, manage=True)
    return do_export_member(membership, member)


@router.post(
    "/members/{membership_id}/erase",
    response={200: ErasureOut, 400: InvalidOut, 403: ErrorOut, 404: ErrorOut},
    summary="Erase a member's personal data in this organisation (org admins)",
)
def erase_member(request: HttpRequest, membership_id: Id, payload: EraseIn) -> Any:
    membership = require(request, Role.ORG_ADMIN)
    member = get_member(membership, membership_id, manage=True)
    validated(EraseForm(payload.dict(), member=member))
    erasure = do_erase_person(membership, member, scope=Scope.ORGANISATION)
    return {"account_erased": erasure.account_erased}
