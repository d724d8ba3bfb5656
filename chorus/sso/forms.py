from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Membership, Organization, Role
from chorus.sso.models import IdentityProvider
from chorus.sso.saml import MAX_METADATA_BYTES


def role_values(cleaned_data: dict[str, Any]) -> dict[str, str]:
    """{role: the claim or attribute value that gives it}, from a provider form's fields."""
    return {
        Role.ORG_ADMIN: cleaned_data["role_org_admin"],
        Role.PROGRAM_MANAGER: cleaned_data["role_program_manager"],
        Role.TEAM_MANAGER: cleaned_data["role_team_manager"],
    }


class ClaimMappingForm(forms.Form):
    """The fields both kinds of provider share: which claim (OpenID Connect) or attribute
    (SAML) names the person's team, which gives their role, and the value for each role.
    Each form says them in its own words (`mapping_words`: field name → label, help text)."""

    mapping_words: dict[str, tuple[Any, Any]] = {}

    # As long as the provider's columns (IdentityProvider.team_claim, role_claim).
    team_claim = forms.CharField(max_length=100, required=False)
    role_claim = forms.CharField(max_length=100, required=False)
    role_org_admin = forms.CharField(max_length=200, required=False)
    role_program_manager = forms.CharField(max_length=200, required=False)
    role_team_manager = forms.CharField(max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        provider: IdentityProvider | None,
        provider_fields: dict[str, Any],
        **kwargs: Any,
    ) -> None:
        if provider is not None:
            kwargs.setdefault(
                "initial",
                {
                    **provider_fields,
                    "enabled": provider.enabled,
                    "team_claim": provider.team_claim,
                    "role_claim": provider.role_claim,
                    **{
                        f"role_{role}": value
                        for role, value in (provider.role_values or {}).items()
                    },
                },
            )
        super().__init__(*args, **kwargs)
        self.provider = provider
        for name, (label, help_text) in self.mapping_words.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text or ""
        for name in ("team_claim", "role_claim"):
            self.fields[name].widget.attrs["translate"] = "no"

    def role_values(self) -> dict[str, str]:
        return role_values(self.cleaned_data)


class ProviderForm(ClaimMappingForm):
    name = forms.CharField(
        label=_("Name shown on the sign-in button"),
        max_length=80,
        help_text=_('People see "Sign in with <name>", e.g. "Sign in with Acme Okta".'),
    )
    issuer_url = forms.URLField(
        label=_("Issuer URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_(
            "The provider's issuer, e.g. https://login.example.com/realms/acme; the rest is "
            "read from its discovery document."
        ),
    )
    client_id = forms.CharField(label=_("Client ID"), max_length=255)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted. Leave empty to keep the current secret."),
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    field_order = ("name", "issuer_url", "client_id", "client_secret", "enabled")
    mapping_words = {
        "team_claim": (
            _("Team claim"),
            _(
                "The claim naming the person's team, e.g. department or groups; the first value "
                "that names one of your teams is used. Empty: teams are not set by sign-in."
            ),
        ),
        "role_claim": (
            _("Role claim"),
            _(
                "The claim whose value gives the role, e.g. groups. A person with none of the "
                "values below is an ambassador."
            ),
        ),
        "role_org_admin": (_("Value for organisation admins"), None),
        "role_program_manager": (_("Value for program managers"), None),
        "role_team_manager": (_("Value for team managers"), None),
    }

    def __init__(self, *args: Any, provider: IdentityProvider | None, **kwargs: Any) -> None:
        fields: dict[str, Any] = {}
        if provider is not None:
            fields = {
                "name": provider.name,
                "issuer_url": provider.issuer_url,
                "client_id": provider.client_id,
            }
        super().__init__(*args, provider=provider, provider_fields=fields, **kwargs)
        for name in ("issuer_url", "client_id"):
            self.fields[name].widget.attrs["translate"] = "no"
        if provider is None:
            self.fields["client_secret"].required = True
            self.fields["client_secret"].help_text = _("Stored encrypted.")

    def clean_issuer_url(self) -> str:
        url = cast(str, self.cleaned_data["issuer_url"]).strip()
        if "?" in url or "#" in url:
            raise forms.ValidationError(_("An issuer URL has no query and no fragment."))
        return url


class DomainForm(forms.Form):
    domain = forms.CharField(
        label=_("E-mail domain"),
        max_length=253,
        help_text=_("e.g. example.com. An instance operator confirms that it is yours."),
        widget=forms.TextInput(attrs={"translate": "no", "autocomplete": "off"}),
    )


class RulesForm(forms.Form):
    require_sso = forms.BooleanField(
        label=_("Require single sign-on"),
        required=False,
        help_text=_(
            "Members' passwords stop working: they sign in with the identity provider. "
            "The break-glass admin keeps a password for the day it is down."
        ),
    )
    break_glass = forms.ModelChoiceField(
        label=_("Break-glass admin"),
        queryset=Membership.objects.none(),
        required=False,
        help_text=_("Each of their sign-ins with a password is recorded in the audit log."),
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["break_glass"])
        field.queryset = (
            Membership.objects.active().filter(org=org, role=Role.ORG_ADMIN).select_related("user")
        )
        field.widget.attrs["translate"] = "no"


class LookupForm(forms.Form):
    login = forms.EmailField(label=_("Work e-mail address"))


class SamlProviderForm(ClaimMappingForm):
    """A SAML 2.0 identity provider: its metadata (URL or file) and the attribute mapping."""

    name = forms.CharField(
        label=_("Name on the SAML sign-in button"),
        max_length=80,
        help_text=_('People see "Sign in with <name>", e.g. "Sign in with Acme Okta".'),
    )
    metadata_url = forms.URLField(
        label=_("IdP metadata URL"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "Where your identity provider publishes its SAML metadata; it is read when you "
            "save and when you refresh it."
        ),
    )
    metadata_file = forms.FileField(
        label=_("Or upload the IdP metadata file"),
        required=False,
        help_text=_("The XML file your identity provider gives; it replaces the URL's."),
    )
    enabled = forms.BooleanField(label=_("SAML sign-in enabled"), required=False, initial=True)

    field_order = ("name", "metadata_url", "metadata_file", "enabled")
    mapping_words = {
        "team_claim": (
            _("Team attribute"),
            _(
                "The attribute naming the person's team, e.g. department; the first value that "
                "names one of your teams is used. Empty: teams are not set by sign-in."
            ),
        ),
        "role_claim": (
            _("Role attribute"),
            _(
                "The attribute whose value gives the role, e.g. groups. A person with none of "
                "the values below is an ambassador."
            ),
        ),
        "role_org_admin": (_("Attribute value of organisation admins"), None),
        "role_program_manager": (_("Attribute value of program managers"), None),
        "role_team_manager": (_("Attribute value of team managers"), None),
    }

    def __init__(self, *args: Any, provider: IdentityProvider | None, **kwargs: Any) -> None:
        fields: dict[str, Any] = {}
        if provider is not None:
            fields = {"name": provider.name, "metadata_url": provider.saml_metadata_url}
        super().__init__(*args, provider=provider, provider_fields=fields, **kwargs)
        self.fields["metadata_url"].widget.attrs["translate"] = "no"
        self.fields["metadata_file"].widget.attrs["accept"] = ".xml,application/xml,text/xml"

    def clean_metadata_file(self) -> bytes | None:
        upload = self.cleaned_data.get("metadata_file")
        if not upload:
            return None
        if upload.size > MAX_METADATA_BYTES:
            raise forms.ValidationError(_("The file is too large for an IdP's metadata."))
        return cast(bytes, upload.read())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            self.provider is None
            and not data.get("metadata_url")
            and not data.get("metadata_file")
            and not self.errors
        ):
            raise forms.ValidationError(_("Give the IdP metadata URL or upload its metadata file."))
        return data
