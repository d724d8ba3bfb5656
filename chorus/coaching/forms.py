from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from chorus.coaching.models import MAX_NOTE_LENGTH
from chorus.orgs.models import Membership
from chorus.sharing.models import Share


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Your note"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only this person and you will ever read it."),
    )
    share = forms.ModelChoiceField(
        label=_("About the share"),
        queryset=Share.objects.none(),
        required=False,
        empty_label=_("No particular share"),
    )

    def __init__(self, *args: Any, shares: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["share"]
        field.queryset = shares  # type: ignore[attr-defined]
        field.label_from_instance = self.share_label  # type: ignore[attr-defined]
        field.widget.attrs["translate"] = "no"

    @staticmethod
    def share_label(share: Any) -> str:
        when = formats.date_format(share.published_at, "DATE_FORMAT") if share.published_at else ""
        return f"{when} · {share.get_network_display()} · {share.item.title}"[:120]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your reply"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpForm(forms.Form):
    text = forms.CharField(
        label=_("Your follow-up"),
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Each person gets it as a private note, and can reply to you."),
    )
    attendees = forms.ModelMultipleChoiceField(
        label=_("To"),
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, attendees: QuerySet, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["attendees"]
        field.queryset = attendees  # type: ignore[attr-defined]
        field.label_from_instance = lambda member: member.user.display_name  # type: ignore[attr-defined]
        field.widget.attrs["translate"] = "no"
