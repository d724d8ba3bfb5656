"""The organisation's digest defaults."""

from __future__ import annotations

from typing import Any

from django import forms

from chorus.notify.models import DigestSettings


class DigestSettingsForm(forms.ModelForm):
    class Meta:
        model = DigestSettings
        fields = ["default_frequency", "items"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].widget.attrs.update({"min": 1, "max": 10})
