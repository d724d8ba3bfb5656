"""Forms that create and configure organisations: set-up, operator's creation, branding."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Organization, SetupCode
from chorus.orgs.setup import check_setup_code
from chorus.orgs.validators import (
    time_zone_names,
    validate_accent_color,
    validate_logo,
)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(time_zone_names())]


class NewOrganisationFields(forms.Form):
    """What every new organisation needs: a name, a slug, a language, a time zone."""

    name = forms.CharField(label=_("Organisation name"), max_length=120)
    slug = forms.SlugField(
        label=_("Short name in addresses"),
        max_length=60,
        help_text=_("Letters, digits and hyphens, e.g. acme: its pages are at /o/acme/."),
    )
    default_language = forms.ChoiceField(
        label=_("Default language"), choices=settings.LANGUAGES, initial="en"
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices, initial="UTC")

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"]).lower()
        if Organization.objects.filter(slug__iexact=slug).exists():
            raise forms.ValidationError(_("This short name is already taken."))
        return slug


class SetupForm(NewOrganisationFields):
    """The first-run set-up: the console's code, the organisation, its first admin."""

    code = forms.CharField(
        label=_("Set-up code"),
        max_length=40,
        help_text=_("Printed on the server's console when Chorus started."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    first_name = forms.CharField(label=_("Your first name"), max_length=150)
    last_name = forms.CharField(label=_("Your last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Your e-mail address"))
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "code",
        "name",
        "slug",
        "default_language",
        "time_zone",
        "first_name",
        "last_name",
        "email",
        "password1",
        "password2",
    ]

    setup_code: SetupCode | None = None

    def clean_email(self) -> str:
        email = str(self.cleaned_data["email"]).strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this e-mail address already exists."))
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password1")
        if password and password != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        elif password:
            User = get_user_model()
            candidate = User(
                email=data.get("email", ""),
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
            try:
                validate_password(password, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        # The code last, and only for an otherwise valid form: a typo elsewhere does not
        # cost one of the few attempts.
        if not self.errors and data.get("code"):
            try:
                self.setup_code = check_setup_code(data["code"])
            except forms.ValidationError as error:
                self.add_error("code", error)
        return data


class ProvisionForm(NewOrganisationFields):
    """An operator creates an organisation and invites its first admin."""

    admin_email = forms.EmailField(
        label=_("First admin's e-mail address"),
        help_text=_("They receive a link to choose a password (or sign in, if they have one)."),
    )


class OrganisationSettingsForm(forms.Form):
    """An org admin's settings for the whole organisation: name, branding, language, zone."""

    name = forms.CharField(label=_("Name"), max_length=120)
    logo = forms.ImageField(
        label=_("Logo"),
        required=False,
        validators=[validate_logo],
        # The same words as the model field's (LOGO_MAX_BYTES is 512 KB).
        help_text=_("PNG, JPEG or WebP, 512 KB at most; shown in the header."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    accent_color = forms.CharField(
        label=_("Accent colour"),
        max_length=7,
        required=False,
        validators=[validate_accent_color],
        help_text=_("Shown as a stripe along the header. Empty: none."),
        widget=forms.TextInput(
            attrs={"pattern": "#[0-9a-fA-F]{6}", "placeholder": "#4338ca", "spellcheck": "false"}
        ),
    )
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)

    def __init__(self, *args: Any, has_logo: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_logo:
            del self.fields["remove_logo"]

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean_accent_color(self) -> str:
        return str(self.cleaned_data["accent_color"]).lower()
