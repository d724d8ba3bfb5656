from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign
from chorus.governance.models import Disclosure, GovernanceSettings, ReviewScope, Rule
from chorus.orgs.models import Membership, Organization, Team


class DisclosureForm(forms.ModelForm):
    class Meta:
        model = Disclosure
        fields = ["network", "language", "text"]


def _limit_to_org(form: forms.ModelForm, org: Organization) -> None:
    """Teams, campaigns and people of the organisation only."""
    for name, queryset in (
        ("team", Team.objects.filter(org=org)),
        ("campaign", Campaign.objects.filter(org=org)),
        ("membership", Membership.objects.active().filter(org=org).select_related("user")),
    ):
        if name in form.fields:
            form.fields[name].queryset = queryset  # type: ignore[attr-defined]


class RuleForm(forms.ModelForm):
    """A compliance rule; the words are checked by `matching.compile_phrase`."""

    class Meta:
        model = Rule
        fields = ["phrase", "action", "reason", "team", "campaign"]

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_to_org(self, org)


class ReviewScopeForm(forms.ModelForm):
    """Whose posts are reviewed: a team, a campaign, a person, or everyone."""

    class Meta:
        model = ReviewScope
        fields = ["team", "campaign", "membership", "first_shares"]

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _limit_to_org(self, org)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen = [name for name in ("team", "campaign", "membership") if data.get(name)]
        if len(chosen) > 1:
            raise forms.ValidationError(
                _("Choose a team, a campaign or a person (one of them), or none for everyone.")
            )
        return data


class RetentionForm(forms.ModelForm):
    class Meta:
        model = GovernanceSettings
        fields = ["share_text_days", "click_days", "audit_days"]


class PeriodForm(forms.Form):
    """An export's period (both days included) and format."""

    FORMATS = [("csv", "CSV"), ("json", "JSON")]
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To (included)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="csv")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start comes after the end."))
        return data


class AuditFilterForm(PeriodForm):
    """The audit log's export filters: a date range, an actor's e-mail, an action."""

    actor = forms.CharField(label=_("Actor's e-mail"), required=False, max_length=254)
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=60,
        help_text=_('E.g. "review.declined", or "review." for every review decision.'),
    )
