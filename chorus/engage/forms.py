from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Campaign, Topic
from chorus.engage.models import Challenge, PointsRules
from chorus.orgs.models import Organization

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PointsRulesForm(forms.ModelForm):
    class Meta:
        model = PointsRules
        fields = [
            "original_share",
            "min_originality",
            "copy_share",
            "human_click",
            "comment",
            "reaction",
            "suggestion",
            "onboarding_step",
            "faq_question",
            "workshop",
            "share_cap",
            "clicks_cap",
            "engagement_cap",
            "suggestion_cap",
            "onboarding_cap",
            "helping_cap",
            "leaderboard_size",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        original, copy = data.get("original_share"), data.get("copy_share")
        if original is not None and copy is not None and copy > original:
            self.add_error(
                "copy_share",
                _("A copy-paste share cannot earn more than an original one."),
            )
        return data


class ChallengeForm(forms.ModelForm):
    class Meta:
        model = Challenge
        fields = [
            "title",
            "description",
            "metric",
            "target",
            "topic",
            "campaign",
            "starts_on",
            "ends_on",
        ]
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("topic", Topic.objects.filter(org=org)),
            ("campaign", Campaign.objects.filter(org=org)),
        ):
            field = self.fields[name]
            field.queryset = queryset  # type: ignore[attr-defined]
            field.widget.attrs["translate"] = "no"
        self.fields["title"].widget.attrs["translate"] = "no"
        self.fields["topic"].help_text = _("For original shares and human clicks only.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end comes after the start."))
        metric = data.get("metric")
        if metric and metric not in Challenge.CONTENT_METRICS:
            for name in ("topic", "campaign"):
                if data.get(name):
                    self.add_error(
                        name, _("Only original shares and human clicks can be narrowed.")
                    )
        return data
