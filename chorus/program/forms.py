from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import Organization, Team
from chorus.program.models import Cohort

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
            ("anonymise", _("Anonymise them")),
        ],
        widget=forms.RadioSelect,
        initial="keep",
    )
