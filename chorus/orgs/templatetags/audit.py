"""The audit log, readable: field labels and choices in the reader's language."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from chorus.orgs.models import AuditEntry

register = template.Library()

# Settings pages save one row per organisation: the entry names the settings, not the row.
SETTINGS_ACTIONS = {
    "policy.change": _("Sharing policy changed"),
    "health.thresholds": _("Programme health thresholds changed"),
    "analytics.settings": _("Values and thresholds changed"),
    "links.settings": _("Link settings changed"),
    "links.key": _("Conversion key replaced"),
    "digest.settings": _("Digest settings changed"),
}


@functools.cache
def _model_named(model_name: str) -> type[models.Model] | None:
    """Chorus's model whose `_meta.model_name` the audit entry kept as its target type."""
    for model in apps.get_models():
        if model._meta.model_name == model_name and model.__module__.startswith("chorus."):
            return model
    return None


def _shown(field: models.Field[Any, Any] | None, value: Any) -> Any:
    if value is None or value == "":
        return None
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return value


@register.filter
def audit_action(entry: AuditEntry) -> Any:
    """The action in words where Chorus has them, else its code."""
    return SETTINGS_ACTIONS.get(entry.action, entry.action)


@register.filter
def audit_target(entry: AuditEntry) -> Any:
    """What was changed: the settings' name for settings, else the label kept at the time."""
    model = _model_named(entry.target_type)
    if entry.action in SETTINGS_ACTIONS and model is not None:
        return capfirst(model._meta.verbose_name)
    return entry.target_label


@register.filter
def audit_changes(entry: AuditEntry) -> list[tuple[Any, Any, Any]]:
    """(label, before, after) per changed field, in the reader's language."""
    if not isinstance(entry.changes, dict):
        return []
    model = _model_named(entry.target_type)
    rows = []
    for name, values in entry.changes.items():
        before, after = values if isinstance(values, list) and len(values) == 2 else (None, values)
        field: models.Field[Any, Any] | None = None
        label: Any = name
        if model is not None:
            try:
                found = model._meta.get_field(name)
            except FieldDoesNotExist:
                found = None
            if isinstance(found, models.Field):
                field = found
                label = capfirst(found.verbose_name)
        rows.append((label, _shown(field, before), _shown(field, after)))
    return rows
