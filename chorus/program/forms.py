from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.lib.networks import LANGUAGE_CHOICES
from chorus.orgs.models import Organization, Team
from chorus.program.models import Cohort, Resource, Workshop

MAX_CSV_BYTES = 512 * 1024


class CohortForm(forms.ModelForm):
    class Meta:
        model = Cohort
        fields = ["name", "kind", "starts_on", "description"]
        widgets = {"starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class InviteForm(forms.Form):
    emails = forms.CharField(
        label=_("E-mail addresses"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, or separated by commas."),
    )
    team = forms.ModelChoiceField(
        label=_("Or everyone in a team"), queryset=Team.objects.none(), required=False
    )
    csv_file = forms.FileField(
        label=_("Or a CSV file"),
        required=False,
        help_text=_("One e-mail address per line (a column named email, or the first column)."),
    )
    cohort = forms.ModelChoiceField(
        label=_("Cohort"), queryset=Cohort.objects.none(), required=False
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org
        for name, queryset in (
            ("team", Team.objects.filter(org=org)),
            ("cohort", Cohort.objects.filter(org=org)),
        ):
            field = self.fields[name]
            field.queryset = queryset  # type: ignore[attr-defined]
            field.widget.attrs["translate"] = "no"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        emails: list[str] = [
            part for chunk in (data.get("emails") or "").splitlines() for part in chunk.split(",")
        ]
        if data.get("team"):
            emails += list(data["team"].members.values_list("user__email", flat=True))
        upload = data.get("csv_file")
        if upload:
            emails += self._read_csv(upload)
        emails = [email.strip() for email in emails if email.strip()]
        if not emails:
            raise forms.ValidationError(_("Give at least one e-mail address, a team or a file."))
        data["addresses"] = list(dict.fromkeys(emails))
        return data

    def _read_csv(self, upload: Any) -> list[str]:
        import csv
        import io

        raw = upload.read(MAX_CSV_BYTES + 1)
        if len(raw) > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        try:
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error):
            raise forms.ValidationError(_("The file is not a UTF-8 CSV file.")) from None
        if not rows:
            return []
        header = [cell.strip().lower() for cell in rows[0]]
        column = header.index("email") if "email" in header else 0
        body = rows[1:] if "email" in header else rows
        return [row[column] for row in body if len(row) > column]


class LeaveForm(forms.Form):
    attribution = forms.ChoiceField(
        label=_("Your past shares"),
        choices=[
            ("keep", _("Keep them attributed to me in the programme's figures")),
            (
                "anonymise",
                _(
                    "Anonymise my contributions: my shares count without my name or my words; "
                    "my points, suggestions, questions, coaching notes and profile are deleted"
                ),
            ),
        ],
        widget=forms.RadioSelect,
        initial="keep",
    )


class ResourceForm(forms.Form):
    """A training resource with its text in each language of the interface."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Resource.Kind.choices)
    is_guide = forms.BooleanField(
        label=_("This is the ambassador guide"),
        required=False,
        help_text=_("Reading it is a step of every ambassador's onboarding."),
    )
    url = forms.URLField(label=_("Address"), required=False, help_text=_("For a video or a link."))
    position = forms.IntegerField(label=_("Position"), min_value=0, initial=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.languages = [code for code, _name in settings.LANGUAGES]
        for code, name in settings.LANGUAGES:
            self.fields[f"title_{code}"] = forms.CharField(
                label=_("Title (%(language)s)") % {"language": name},
                max_length=200,
                required=False,
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text (%(language)s)") % {"language": name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 8}),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(f"title_{code}") for code in self.languages):
            raise forms.ValidationError(_("Give a title in at least one language."))
        for code in self.languages:
            if data.get(f"body_{code}") and not data.get(f"title_{code}"):
                self.add_error(f"title_{code}", _("A text needs its title."))
        if data.get("kind") in ("video", "link") and not data.get("url"):
            self.add_error("url", _("A video or a link needs its address."))
        return data


class WorkshopForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = [
            "title",
            "description",
            "language",
            "starts_at",
            "duration_minutes",
            "location",
            "capacity",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "description": forms.Textarea(attrs={"rows": 3}),
            "language": forms.Select(),
            "duration_minutes": forms.NumberInput(attrs={"min": 15, "max": 480}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].widget.choices = [("", "—"), *LANGUAGE_CHOICES]
        cast(forms.DateTimeField, self.fields["starts_at"]).input_formats = ["%Y-%m-%dT%H:%M"]

    def clean_starts_at(self) -> Any:
        from django.utils import timezone

        value = self.cleaned_data["starts_at"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError(_("Choose a date and time in the future."))
        return value

    def clean_duration_minutes(self) -> int:
        value = self.cleaned_data["duration_minutes"]
        if not 15 <= value <= 480:
            raise forms.ValidationError(_("Between 15 minutes and 8 hours."))
        return value


class QuestionForm(forms.Form):
    text = forms.CharField(
        label=_("Your question"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Only the programme team sees it. Good answers may be added to the FAQ, "
            "without your name."
        ),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    in_faq = forms.BooleanField(label=_("Publish in the FAQ"), required=False)
    faq_question = forms.CharField(
        label=_("Question as shown in the FAQ"),
        max_length=300,
        required=False,
        help_text=_("Rephrase it so that nobody can be recognised."),
    )
    faq_answer = forms.CharField(
        label=_("Answer as shown in the FAQ"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave empty to show the answer above."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("in_faq") and not data.get("faq_question"):
            self.add_error("faq_question", _("The FAQ needs the question's wording."))
        return data
