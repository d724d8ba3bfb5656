from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.content.models import Persona, Topic
from chorus.feed.models import AmbassadorProfile, AudienceKind, AudienceSize
from chorus.lib.ids import IdMultipleChoiceField
from chorus.lib.networks import LANGUAGE_CHOICES, Network
from chorus.orgs.models import Organization

DAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
HOURS = [
    ("morning", _("Morning (7–10 h)")),  # noqa: RUF001 - typographic dash
    ("midday", _("Midday (11–14 h)")),  # noqa: RUF001
    ("afternoon", _("Afternoon (14–17 h)")),  # noqa: RUF001
    ("evening", _("Evening (17–21 h)")),  # noqa: RUF001
]


class ProfileForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages I post in"),
        choices=LANGUAGE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
    )
    posting_days = forms.MultipleChoiceField(
        label=_("Preferred posting days"),
        choices=DAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    posting_hours = forms.MultipleChoiceField(
        label=_("Preferred posting hours"),
        choices=HOURS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AmbassadorProfile
        fields = [
            "interests",
            "expertise",
            "personas",
            "languages",
            "site",
            "posting_days",
            "posting_hours",
            "weekly_cadence",
            "digest",
        ]
        field_classes = {
            "interests": IdMultipleChoiceField,
            "expertise": IdMultipleChoiceField,
            "personas": IdMultipleChoiceField,
        }
        widgets = {
            "interests": forms.CheckboxSelectMultiple,
            "expertise": forms.CheckboxSelectMultiple,
            "personas": forms.CheckboxSelectMultiple,
            "weekly_cadence": forms.NumberInput(attrs={"min": 0, "max": 14}),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, queryset in (
            ("interests", Topic.objects.filter(org=org, subscription=Topic.Subscription.OPEN)),
            ("expertise", Topic.objects.filter(org=org)),
            ("personas", Persona.objects.filter(org=org)),
        ):
            field = cast(forms.ModelMultipleChoiceField, self.fields[name])
            field.queryset = queryset
            field.widget.attrs["translate"] = "no"
        # One group of fields per network: do I post there, to how many, to whom.
        current = self.instance.networks if self.instance and self.instance.pk else {}
        for code, label in Network.choices:
            settings = current.get(code, {})
            self.fields[f"net_{code}"] = forms.BooleanField(
                label=_("I post on %(network)s") % {"network": label},
                required=False,
                initial=code in current,
            )
            self.fields[f"size_{code}"] = forms.ChoiceField(
                label=_("Audience on %(network)s") % {"network": label},
                choices=[("", "—"), *AudienceSize.choices],
                required=False,
                initial=settings.get("size", ""),
            )
            self.fields[f"who_{code}"] = forms.MultipleChoiceField(
                label=_("Who follows me on %(network)s") % {"network": label},
                choices=AudienceKind.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=settings.get("who", []),
            )

    def network_fields(self) -> list[tuple[str, Any, Any, Any]]:
        return [
            (label, self[f"net_{code}"], self[f"size_{code}"], self[f"who_{code}"])
            for code, label in Network.choices
        ]

    def main_fields(self) -> list[Any]:
        return [field for field in self if not field.name.startswith(("net_", "size_", "who_"))]

    def clean_weekly_cadence(self) -> int:
        cadence = self.cleaned_data["weekly_cadence"]
        if not 0 <= cadence <= 14:
            raise forms.ValidationError(_("Choose between 0 and 14 posts a week."))
        return int(cadence)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        networks = {}
        for code, _label in Network.choices:
            if data.get(f"net_{code}"):
                networks[code] = {
                    "size": data.get(f"size_{code}", ""),
                    "who": data.get(f"who_{code}", []),
                }
        data["networks"] = networks
        return data

    def save(self, commit: bool = True) -> AmbassadorProfile:
        profile = super().save(commit=False)
        profile.networks = self.cleaned_data["networks"]
        profile.posting_days = [int(day) for day in self.cleaned_data["posting_days"]]
        if commit:
            profile.save()
            self.save_m2m()
        return profile
