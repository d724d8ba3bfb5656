"""The form of the programme-health thresholds (the checks are chorus.analytics.health)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from chorus.analytics.health import TITLES
from chorus.program.models import HealthThresholds

# The thresholds grouped by check, in the order of the classic failures.
HEALTH_THRESHOLD_GROUPS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (_("Period"), ("window_days",)),
    (
        "rollout",
        (
            "rollout_max_percent",
            "activation_days",
            "activation_watch_percent",
            "activation_act_percent",
        ),
    ),
    ("parrot", ("parrot_watch_percent", "parrot_act_percent", "burst_colleagues", "burst_minutes")),
    ("strategy", ("strategy_watch_percent", "strategy_act_percent")),
    ("adoption", ("adoption_watch_percent", "adoption_act_percent", "content_per_100_weekly")),
    ("engagement", ("silent_watch_percent", "silent_act_percent")),
    (
        "cadence",
        (
            "weekly_target",
            "over_cadence_factor",
            "far_below_percent",
            "over_cadence_act_percent",
            "far_below_watch_percent",
            "quality_drop_points",
        ),
    ),
    (
        "control",
        (
            "unedited_watch_percent",
            "unedited_act_percent",
            "approval_watch_hours",
            "approval_act_hours",
        ),
    ),
)


def _group_title(key: Any) -> Any:
    """A check's key becomes "N. its title", in the active language."""
    if key not in TITLES:
        return key
    return format_lazy("{}. {}", list(TITLES).index(key) + 1, TITLES[key])


class HealthThresholdsForm(forms.ModelForm):
    """Where each programme-health check turns to watch and to act."""

    # (watch field, act field, True when a higher figure is worse).
    PAIRS = (
        ("activation_watch_percent", "activation_act_percent", False),
        ("parrot_watch_percent", "parrot_act_percent", True),
        ("strategy_watch_percent", "strategy_act_percent", True),
        ("adoption_watch_percent", "adoption_act_percent", False),
        ("silent_watch_percent", "silent_act_percent", True),
        ("unedited_watch_percent", "unedited_act_percent", True),
        ("approval_watch_hours", "approval_act_hours", True),
    )

    class Meta:
        model = HealthThresholds
        fields = [name for _title, names in HEALTH_THRESHOLD_GROUPS for name in names]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from django.core.validators import MaxValueValidator, MinValueValidator

        super().__init__(*args, **kwargs)
        # The model's bounds on the inputs too, so phones offer the right keypad and range.
        for name, field in self.fields.items():
            model_field = HealthThresholds._meta.get_field(name)
            for validator in getattr(model_field, "validators", ()):
                if isinstance(validator, MaxValueValidator):
                    field.widget.attrs["max"] = validator.limit_value
                elif isinstance(validator, MinValueValidator):
                    field.widget.attrs["min"] = validator.limit_value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for watch, act, higher_is_worse in self.PAIRS:
            if data.get(watch) is None or data.get(act) is None:
                continue
            if higher_is_worse and data[act] < data[watch]:
                self.add_error(act, _("The act threshold must be at or beyond the watch one."))
            if not higher_is_worse and data[act] > data[watch]:
                self.add_error(act, _("The act threshold must be at or below the watch one."))
        return data

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """(title, bound fields) per check, for one fieldset each."""
        return [
            (_group_title(key), [self[name] for name in names])
            for key, names in HEALTH_THRESHOLD_GROUPS
        ]
