from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.links.models import LinkSettings


class LinkSettingsForm(forms.ModelForm):
    class Meta:
        model = LinkSettings
        fields = ["fallback_url", "utm_medium", "short_domain", "attribution_days"]

    def clean_short_domain(self) -> str:
        domain = self.cleaned_data["short_domain"].strip().lower()
        labels = domain.split(".")
        if domain and (
            len(labels) < 2
            or not all(label and label.replace("-", "").isalnum() for label in labels)
        ):
            raise forms.ValidationError(_("Enter a domain name such as go.example.com."))
        return domain

    def clean_attribution_days(self) -> int:
        days = self.cleaned_data["attribution_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Choose between 1 and 365 days."))
        return int(days)
