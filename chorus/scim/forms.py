from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.scim.models import ScimSettings


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Say which identity provider uses it, e.g. Okta or Entra ID."),
    )


class ScimSettingsForm(forms.ModelForm):
    class Meta:
        model = ScimSettings
        fields = ["on_deactivation"]
        widgets = {"on_deactivation": forms.RadioSelect}
