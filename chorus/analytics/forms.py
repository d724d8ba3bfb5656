"""The dashboard's filters (GET parameters, validated) and the analytics settings form."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chorus.analytics.figures import MAX_DAYS, Scope
from chorus.analytics.models import AnalyticsSettings
from chorus.content.models import Campaign
from chorus.orgs.models import Membership, Team
from chorus.sharing.models import CHANNEL_CHOICES

PERIODS = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("365", _("Last 12 months")),
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("custom", _("Chosen dates")),
]
DEFAULT_PERIOD = "30"


class DashboardFilterForm(forms.Form):
    """Period, team, campaign and network, from the query string.

    A value that does not validate is reported and left out: the dashboard still shows the
    figures for the rest (see `scope()`).
    """

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All teams")
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("All campaigns"),
    )
    network = forms.ChoiceField(label=_("Network"), required=False)

    def __init__(self, membership: Membership, data: Any = None, **kwargs: Any) -> None:
        if data is not None and not data.get("period"):
            data = data.copy()
            data["period"] = DEFAULT_PERIOD  # so that the menu shows the period used
        super().__init__(data, initial={"period": DEFAULT_PERIOD}, **kwargs)
        self.membership = membership
        self.today = timezone.now().astimezone(UTC).date()
        org = membership.org
        team_field: Any = self.fields["team"]
        team_field.queryset = Team.objects.filter(org=org).order_by("name")
        campaign_field: Any = self.fields["campaign"]
        campaign_field.queryset = Campaign.objects.filter(org=org).order_by("name")
        network_field: Any = self.fields["network"]
        network_field.choices = [("", _("All networks")), *CHANNEL_CHOICES]
        for name in ("team", "campaign"):
            self.fields[name].widget.attrs["translate"] = "no"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if start is None or end is None:
                if "start" not in self.errors and "end" not in self.errors:
                    self.add_error(None, _("Choose both dates, or another period."))
            elif end < start:
                self.add_error("end", _("The end comes before the start."))
            elif (end - start).days >= MAX_DAYS:
                self.add_error("end", _("Choose at most three years."))
            elif end > self.today + timedelta(days=366) or start < date(2000, 1, 1):
                self.add_error("start", _("Choose dates between 2000 and next year."))
        return data

    def chosen_period(self) -> tuple[date, date]:
        """The chosen period, or the default one where the choice is not valid."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        today = self.today
        choice = data.get("period") or DEFAULT_PERIOD
        if choice == "custom":
            start, end = data.get("start"), data.get("end")
            valid = not (self.errors.get("start") or self.errors.get("end"))
            if start and end and valid and not self.non_field_errors():
                return start, end
            choice = DEFAULT_PERIOD
        if choice == "month":
            return today.replace(day=1), today
        if choice == "last_month":
            end = today.replace(day=1) - timedelta(days=1)
            return end.replace(day=1), end
        days = int(choice)
        return today - timedelta(days=days - 1), today

    def scope(self) -> Scope:
        """The figures' scope from what validated (call after is_valid())."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        start, end = self.chosen_period()
        team, campaign = data.get("team"), data.get("campaign")
        return Scope(
            org_id=self.membership.org_id,
            start=start,
            end=end,
            team_id=team.pk if team is not None else None,
            campaign_id=campaign.pk if campaign is not None else None,
            network=data.get("network") or "",
        )

    def query_string(self) -> str:
        """The valid filters as a query string, for export links."""
        from urllib.parse import urlencode

        scope = self.scope()
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        values: dict[str, Any] = {"period": "custom", "start": scope.start, "end": scope.end}
        if data.get("period") and data["period"] != "custom" and "period" not in self.errors:
            values = {"period": data["period"]}
        if scope.team_id:
            values["team"] = scope.team_id
        if scope.campaign_id:
            values["campaign"] = scope.campaign_id
        if scope.network:
            values["network"] = scope.network
        return urlencode(values)


class AnalyticsSettingsForm(forms.ModelForm):
    class Meta:
        model = AnalyticsSettings
        fields = [
            "currency",
            "value_per_click",
            "value_per_engagement",
            "value_per_thousand_impressions",
            "regular_shares",
        ]

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
            raise forms.ValidationError(_("Enter a three-letter currency code, such as EUR."))
        return currency
