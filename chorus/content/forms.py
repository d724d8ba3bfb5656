from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import URLValidator
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from chorus.content.models import (
    KPIS_BY_OBJECTIVE,
    Campaign,
    Caption,
    ContentItem,
    Kpi,
    Persona,
    Source,
    Topic,
)
from chorus.lib.ids import IdMultipleChoiceField
from chorus.lib.images import MAX_UPLOAD_BYTES, CleanImage, ImageRefused, clean_upload
from chorus.lib.networks import LANGUAGE_CHOICES, Network
from chorus.orgs.models import Organization, Team

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _scope(form: forms.BaseForm, field: str, queryset: Any) -> None:
    """Limit a choice field to the organisation's objects; their names are data, not UI."""
    choice = cast(forms.ModelChoiceField, form.fields[field])
    choice.queryset = queryset
    choice.widget.attrs["translate"] = "no"


class ContentItemForm(forms.ModelForm):
    class Meta:
        model = ContentItem
        fields = [
            "kind",
            "url",
            "title",
            "summary",
            "talking_points",
            "engagement_tip",
            "conversation_starter",
            "image",
            "language",
            "topics",
            "campaign",
            "status",
            "publish_at",
            "expire_at",
            "pinned",
            "internal_only",
        ]
        field_classes = {"topics": IdMultipleChoiceField}
        widgets = {
            "publish_at": DATETIME,
            "expire_at": DATETIME,
            "summary": forms.Textarea(attrs={"rows": 3}),
            "talking_points": forms.Textarea(attrs={"rows": 3}),
            "topics": forms.CheckboxSelectMultiple,
        }
        help_texts = {
            "url": _("Chorus fetches the page to fill the title, summary and image."),
            "language": _("Detected automatically when left empty."),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        for name in ("publish_at", "expire_at"):
            cast(forms.DateTimeField, self.fields[name]).input_formats = ["%Y-%m-%dT%H:%M"]
        _scope(self, "topics", Topic.objects.filter(org=org))
        _scope(self, "campaign", Campaign.objects.filter(org=org))

    def clean_url(self) -> str:
        return _http_url(self.cleaned_data["url"]) if self.cleaned_data["url"] else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("title") and not data.get("url"):
            raise forms.ValidationError(_("Give at least a link or a title."))
        kind = data.get("kind")
        if kind in (ContentItem.Kind.LINK, ContentItem.Kind.VIDEO) and not data.get("url"):
            self.add_error("url", _("A link item needs a URL."))
        publish_at, expire_at = data.get("publish_at"), data.get("expire_at")
        if publish_at and expire_at and expire_at <= publish_at:
            self.add_error("expire_at", _("The expiry must come after the publication."))
        return data


class ContentImageForm(forms.Form):
    """An image to post with the item, with its description in each language.

    The file is read whole and checked with Pillow (`lib.images.clean_upload`): what
    passes is `cleaned_data["image"]`, a `CleanImage` without metadata."""

    file = forms.FileField(label=_("Image"))
    alt_en = forms.CharField(
        label=_("Description (English)"),
        max_length=1500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the image shows, for people who cannot see it."),
    )
    alt_fr = forms.CharField(
        label=_("Description (French)"),
        max_length=1500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_file(self) -> CleanImage:
        upload = self.cleaned_data["file"]
        try:
            # Read no more than the limit and one byte: a larger file is refused unread.
            return clean_upload(upload.read(MAX_UPLOAD_BYTES + 1))
        except ImageRefused as refusal:
            raise forms.ValidationError(
                _("This file cannot be used: %(reason)s") % {"reason": refusal}
            ) from refusal


class ImageDescriptionForm(forms.Form):
    alt_en = forms.CharField(label=_("Description (English)"), max_length=1500, required=False)
    alt_fr = forms.CharField(label=_("Description (French)"), max_length=1500, required=False)


class CaptionForm(forms.ModelForm):
    class Meta:
        model = Caption
        fields = ["network", "language", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


class CaptionCheckForm(forms.Form):
    network = forms.ChoiceField(choices=Network.choices)
    text = forms.CharField(required=False, strip=False)


class CampaignForm(forms.ModelForm):
    target_networks = forms.MultipleChoiceField(
        label=_("Target networks"),
        choices=Network.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    kpis = forms.MultipleChoiceField(
        label=_("KPIs"),
        choices=Kpi.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Left empty, the KPIs that fit the objective are used."),
    )

    class Meta:
        model = Campaign
        fields = [
            "name",
            "slug",
            "objective",
            "description",
            "starts_on",
            "ends_on",
            "target_teams",
            "target_personas",
            "target_networks",
            "cta_url",
            "priority",
            "kpis",
        ]
        field_classes = {
            "target_teams": IdMultipleChoiceField,
            "target_personas": IdMultipleChoiceField,
        }
        widgets = {
            "starts_on": DATE,
            "ends_on": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "target_teams": forms.CheckboxSelectMultiple,
            "target_personas": forms.CheckboxSelectMultiple,
            "priority": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        _scope(self, "target_teams", Team.objects.filter(org=org))
        _scope(self, "target_personas", Persona.objects.filter(org=org))
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Left empty, it is made from the name.")

    def _others(self) -> Any:
        others = Campaign.objects.filter(org=self.org)
        return others.exclude(pk=self.instance.pk) if self.instance.pk else others

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if not slug:
            # Made from the name, numbered when another campaign has it already.
            base = slugify(self.cleaned_data.get("name") or "")[:72] or "campaign"
            taken = set(self._others().filter(slug__startswith=base).values_list("slug", flat=True))
            slug = next(
                candidate
                for candidate in (base, *(f"{base}-{number}" for number in range(2, 10_000)))
                if candidate not in taken
            )
        elif self._others().filter(slug=slug).exists():
            raise forms.ValidationError(_("Another campaign already uses this slug."))
        return str(slug)

    def clean_priority(self) -> int:
        priority = self.cleaned_data["priority"]
        if not 1 <= priority <= 5:
            raise forms.ValidationError(_("Choose a priority from 1 to 5."))
        return int(priority)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The campaign must end after it starts."))
        if not data.get("kpis") and data.get("objective"):
            data["kpis"] = [str(kpi) for kpi in KPIS_BY_OBJECTIVE[data["objective"]]]
        return data


class TopicForm(forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "description", "subscription"]


class PersonaForm(forms.ModelForm):
    class Meta:
        model = Persona
        fields = ["name", "description"]


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = [
            "name",
            "url",
            "default_topics",
            "is_active",
            "auto_publish",
            "daily_cap",
            "poll_minutes",
        ]
        field_classes = {"default_topics": IdMultipleChoiceField}
        widgets = {"default_topics": forms.CheckboxSelectMultiple}

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "default_topics", Topic.objects.filter(org=org))

    def clean_url(self) -> str:
        return _http_url(self.cleaned_data["url"])

    def clean_poll_minutes(self) -> int:
        minutes = self.cleaned_data["poll_minutes"]
        if minutes < 5:
            raise forms.ValidationError(_("Poll at most every 5 minutes."))
        return int(minutes)


class SuggestionForm(forms.Form):
    url = forms.URLField(label=_("Link"), required=False, max_length=2000, assume_scheme="https")

    def clean_url(self) -> str:
        return _http_url(self.cleaned_data["url"]) if self.cleaned_data["url"] else ""

    text = forms.CharField(
        label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label=_("Why is it worth sharing?"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("url") and not (data.get("text") or "").strip():
            raise forms.ValidationError(_("Suggest a link or a text."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(label=_("Reason, shown to the person"), max_length=500)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: title, url, kind, summary, language, topics (separated by |), "
            "campaign (slug), status."
        ),
    )


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.none(), required=False)
    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none(), required=False
    )
    network = forms.ChoiceField(
        label=_("Network"), choices=[("", "—"), *Network.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", "—"), *ContentItem.Status.choices], required=False
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", "—"), *ContentItem.Kind.choices], required=False
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scope(self, "topic", Topic.objects.filter(org=org))
        _scope(self, "campaign", Campaign.objects.filter(org=org))


def _http_url(value: str) -> str:
    """Only web addresses: no ftp:, javascript: or other schemes."""
    URLValidator(schemes=["http", "https"], message=_("Enter a web address (http or https)."))(
        value
    )
    return value
