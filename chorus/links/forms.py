from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.links.models import LinkSettings


def is_domain_name(domain: str) -> bool:
    """At least two dot-separated labels of letters, digits and hyphens (no bare suffix)."""
    labels = domain.split(".")
    return len(labels) >= 2 and all(
        label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
    )


class LinkSettingsForm(forms.ModelForm):
    class Meta:
        model = LinkSettings
        fields = [
            "fallback_url",
            "utm_medium",
            "short_domain",
            "attribution_days",
            "allowed_domains",
        ]
        widgets = {"allowed_domains": forms.Textarea(attrs={"rows": 4})}

    def clean_short_domain(self) -> str:
        domain = self.cleaned_data["short_domain"].strip().lower()
        if domain and not is_domain_name(domain):
            raise forms.ValidationError(_("Enter a domain name such as go.example.com."))
        return domain

    def clean_allowed_domains(self) -> str:
        """One domain per line, stored in the form a browser sends (IDN as punycode)."""
        domains: list[str] = []
        for line in self.cleaned_data["allowed_domains"].splitlines():
            domain = line.strip().lower().rstrip(".")
            if domain.startswith("*."):  # "*.example.com" says what "example.com" already does
                domain = domain[2:]
            if not domain:
                continue
            try:
                domain = domain.encode("idna").decode("ascii")
            except UnicodeError:
                domain = ""
            if not is_domain_name(domain):
                raise forms.ValidationError(
                    _("“%(line)s” is not a domain name such as example.com."),
                    params={"line": line.strip()[:100]},
                )
            if domain not in domains:
                domains.append(domain)
        if len(domains) > 100:
            raise forms.ValidationError(_("List 100 domains at most."))
        return "\n".join(domains)

    def clean_attribution_days(self) -> int:
        days = self.cleaned_data["attribution_days"]
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Choose between 1 and 365 days."))
        return int(days)
