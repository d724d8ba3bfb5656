from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from chorus.content.models import ContentImage
from chorus.integrations import registry
from chorus.sharing.models import EngagementTask, SharingPolicy


class ComposeForm(forms.Form):
    WHEN = [
        ("now", _("Now")),
        ("good", _("At a good time for me")),
        ("at", _("At a time I choose")),
    ]
    # Every registered network, read each time the choices are listed.
    network = forms.ChoiceField(label=_("Network"), choices=registry.choices)
    text = forms.CharField(
        label=_("Your post"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Say it your way: why does it matter to you and to the people who follow you?"),
    )
    when = forms.ChoiceField(label=_("When"), choices=WHEN, initial="now", widget=forms.RadioSelect)
    at = forms.DateTimeField(
        label=_("Date and time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    # The item's images to post with the text; the view sets the item's queryset.
    images = forms.ModelMultipleChoiceField(
        label=_("Images to post"),
        queryset=ContentImage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "at" and not data.get("at"):
            self.add_error("at", _("Choose the date and time."))
        return data


class ConfirmForm(forms.Form):
    post_url = forms.URLField(
        label=_("Address of your post (optional)"), required=False, max_length=500
    )


def _hhmm_field(label: Any, help_text: Any) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        help_text=help_text,
        input_formats=["%H:%M"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time as HH:MM, such as 21:00.")},
    )


class SharingPolicyForm(forms.ModelForm):
    """The organisation's sharing policy: own words, cadence, quiet hours, spreading."""

    class Meta:
        model = SharingPolicy
        fields = [
            "originality",
            "min_own_words",
            "max_per_day",
            "min_hours_between",
            "quiet_start",
            "quiet_end",
            "stagger_minutes",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("quiet_start", "quiet_end"):
            time_field = self.fields[name]
            self.fields[name] = _hhmm_field(time_field.label, time_field.help_text)
        # The model's bounds on the inputs too, so phones offer the right keypad and range.
        for name, field in self.fields.items():
            model_field = SharingPolicy._meta.get_field(name)
            for validator in getattr(model_field, "validators", ()):
                if isinstance(validator, MaxValueValidator):
                    field.widget.attrs["max"] = validator.limit_value
                elif isinstance(validator, MinValueValidator):
                    field.widget.attrs["min"] = validator.limit_value


def _publishing_networks() -> list[tuple[str, Any]]:
    """The networks Chorus publishes to: the ones a post can be engaged with."""
    return [(item.key, item.label) for item in registry.integrations() if item.publishes]


class EngagementTaskForm(forms.ModelForm):
    network = forms.ChoiceField(label=_("Network"), choices=_publishing_networks)

    class Meta:
        model = EngagementTask
        fields = ["network", "post_url", "action", "angle"]
        widgets = {"angle": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"post_url": _("The post's address, as your browser shows it.")}

    def clean_post_url(self) -> str:
        url = str(self.cleaned_data["post_url"]).strip()
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Give the post's web address (https://…)."))
        return url


class EngageForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("In your own words: what do you add to the conversation?"),
    )
