from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization, Role, Team


class AddMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AMBASSADOR)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        team = cast(forms.ModelChoiceField, self.fields["team"])
        team.queryset = org.teams.all()  # type: ignore[attr-defined]
        team.widget.attrs["translate"] = "no"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(org=self.org, user__email=email).exists():
            raise forms.ValidationError(_("This person is already a member."))
        return email


class ChangeMemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team = cast(forms.ModelChoiceField, self.fields["team"])
        team.queryset = org.teams.all()  # type: ignore[attr-defined]
        team.widget.attrs["translate"] = "no"


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    manager = forms.ModelChoiceField(
        label=_("Manager"), queryset=Membership.objects.none(), required=False
    )

    def __init__(self, *args: Any, org: Organization, team: Team | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.org = org
        self.team = team
        manager = cast(forms.ModelChoiceField, self.fields["manager"])
        manager.queryset = (
            Membership.objects.active()
            .filter(org=org)
            .exclude(role=Role.AMBASSADOR)
            .select_related("user")
        )
        manager.widget.attrs["translate"] = "no"
        manager.label_from_instance = lambda m: m.user.display_name  # type: ignore[method-assign,assignment]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        teams = Team.objects.filter(org=self.org, name__iexact=name)
        if self.team is not None:
            teams = teams.exclude(pk=self.team.pk)
        if teams.exists():
            raise forms.ValidationError(_("A team with this name already exists."))
        return name


class ChoosePasswordForm(SetPasswordForm):
    """A new person's first password, from their invitation (Django's validators apply)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Someone who never had a password chooses one; "new password" would puzzle them.
        self.fields["new_password1"].label = _("Password")
        self.fields["new_password2"].label = _("Password (again)")
        self.fields["new_password1"].help_text = ""
