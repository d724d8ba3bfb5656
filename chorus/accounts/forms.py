from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.accounts.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["first_name", "last_name", "language"]
        labels = {"first_name": _("First name"), "last_name": _("Last name")}
