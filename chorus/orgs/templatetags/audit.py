"""The audit log, readable: each entry as a sentence ("Alex made Ava an ambassador"), field
labels and choices in the reader's language. An action without a sentence of its own is told
from its last word (created, changed, deleted…) and the kind of thing it touched."""

from __future__ import annotations

import functools
from typing import Any

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chorus.orgs.models import AuditEntry, Role

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


# One sentence per action; %(actor)s did it, %(target)s is what it was done to.
SENTENCES = {
    "org.create": _("%(actor)s created the organisation %(target)s"),
    "org.change": _("%(actor)s changed the organisation’s settings"),  # noqa: RUF001
    "org.provision": _("%(actor)s set up the organisation %(target)s"),
    "member.add": _("%(actor)s added %(target)s"),
    "member.change": _("%(actor)s changed %(target)s’s membership"),  # noqa: RUF001
    "member.remove": _("%(actor)s removed %(target)s from the organisation"),
    "invitation.accept": _("%(actor)s accepted the invitation"),
    "invitation.revoke": _("%(actor)s revoked the invitation of %(target)s"),
    "invitation.renewal_request": _("%(actor)s asked for a new invitation"),
    "team.create": _("%(actor)s created the team %(target)s"),
    "team.change": _("%(actor)s changed the team %(target)s"),
    "team.delete": _("%(actor)s deleted the team %(target)s"),
    "programme.invite": _("%(actor)s invited %(target)s to the programme"),
    "programme.opt_in": _("%(actor)s joined the ambassador programme"),
    "programme.decline": _("%(actor)s declined the invitation to the programme"),
    "programme.leave": _("%(actor)s left the ambassador programme"),
    "programme.anonymise": _("%(actor)s anonymised the results of a person who left"),
    "person.export": _("%(actor)s downloaded the personal data of %(target)s"),
    "person.erase": _("%(actor)s erased the personal data of a person"),
    "content.create": _("%(actor)s added the content “%(target)s”"),
    "content.change": _("%(actor)s edited the content “%(target)s”"),
    "content.status": _("%(actor)s changed the status of “%(target)s”"),
    "content.delete": _("%(actor)s deleted the content “%(target)s”"),
    "content.import": _("%(actor)s imported content"),
    "caption.save": _("%(actor)s saved a suggested text for “%(target)s”"),
    "caption.delete": _("%(actor)s deleted a suggested text"),
    "campaign.create": _("%(actor)s created the campaign %(target)s"),
    "suggestion.create": _("%(actor)s suggested content"),
    "suggestion.accept": _("%(actor)s accepted a suggestion"),
    "suggestion.decline": _("%(actor)s declined a suggestion"),
    "source.create": _("%(actor)s added the source %(target)s"),
    "curation.promote": _("%(actor)s added “%(target)s” from a source to the content"),
    "curation.dismiss": _("%(actor)s dismissed “%(target)s” from a source"),
    "share.create": _("%(actor)s shared “%(target)s”"),
    "connection.connect": _("%(actor)s connected a network account"),
    "connection.disconnect": _("%(actor)s disconnected a network account"),
    "profile.change": _("%(actor)s changed their ambassador profile"),
    "points.rules": _("%(actor)s changed how points are earned"),
    "onboarding.nudge": _("%(actor)s sent a reminder to %(target)s"),
    "workshop.attendance": _("%(actor)s recorded who attended the workshop %(target)s"),
    "question.answer": _("%(actor)s answered a question"),
    "resource.save": _("%(actor)s saved the resource %(target)s"),
    "token.create": _("%(actor)s created an API token"),
    "token.revoke": _("%(actor)s revoked an API token"),
    "webhook.create": _("%(actor)s added the webhook %(target)s"),
    "webhook.change": _("%(actor)s changed the webhook %(target)s"),
    "webhook.delete": _("%(actor)s deleted the webhook %(target)s"),
    "webhook.replay": _("%(actor)s sent a webhook message again"),
    "sso.settings": _("%(actor)s changed the single sign-on settings"),
    "sso.provider.create": _("%(actor)s set up single sign-on"),
    "sso.provider.change": _("%(actor)s changed the identity provider"),
    "sso.provider.check": _("%(actor)s tested the identity provider"),
    "sso.domain.add": _("%(actor)s added the e-mail domain %(target)s"),
    "sso.domain.verify": _("%(actor)s verified the e-mail domain %(target)s"),
    "sso.domain.remove": _("%(actor)s removed the e-mail domain %(target)s"),
    "sso.join": _("%(actor)s joined through single sign-on"),
    "sso.refused": _("Single sign-on refused %(actor)s"),
    "sso.error": _("Single sign-on failed for %(actor)s"),
    "sso.password_refused": _(
        "%(actor)s was refused a password sign-in (single sign-on is required)"
    ),
    "sso.break_glass_sign_in": _(
        "%(actor)s signed in with a password while single sign-on is required"
    ),
    "scim.token.create": _("%(actor)s created a provisioning (SCIM) token"),
    "scim.token.revoke": _("%(actor)s revoked a provisioning (SCIM) token"),
    "scim.settings": _("%(actor)s changed the provisioning (SCIM) settings"),
    "scim.user.link": _("The identity provider linked %(target)s"),
    "scim.user.change": _("The identity provider changed %(target)s"),
    "scim.user.delete": _("The identity provider removed %(target)s"),
    "scim.user.deactivate": _("The identity provider deactivated %(target)s"),
    "scim.user.reactivate": _("The identity provider reactivated %(target)s"),
    "policy.change": _("%(actor)s changed the sharing policy"),
    "health.thresholds": _("%(actor)s changed the programme health thresholds"),
    "analytics.settings": _("%(actor)s changed the values and thresholds"),
    "links.settings": _("%(actor)s changed the link settings"),
    "links.key": _("%(actor)s replaced the conversion key"),
    "digest.settings": _("%(actor)s changed the digest settings"),
}
# A member's role, set or changed: said as what the person became.
ADDED_AS = {
    Role.AMBASSADOR: _("%(actor)s added %(target)s as an ambassador"),
    Role.TEAM_MANAGER: _("%(actor)s added %(target)s as a team manager"),
    Role.PROGRAM_MANAGER: _("%(actor)s added %(target)s as a programme manager"),
    Role.ORG_ADMIN: _("%(actor)s added %(target)s as an administrator"),
}
MADE = {
    Role.AMBASSADOR: _("%(actor)s made %(target)s an ambassador"),
    Role.TEAM_MANAGER: _("%(actor)s made %(target)s a team manager"),
    Role.PROGRAM_MANAGER: _("%(actor)s made %(target)s a programme manager"),
    Role.ORG_ADMIN: _("%(actor)s made %(target)s an administrator"),
}
# Other actions, by their last word.
VERBS = {
    "create": _("%(actor)s created the %(kind)s %(target)s"),
    "add": _("%(actor)s added the %(kind)s %(target)s"),
    "change": _("%(actor)s changed the %(kind)s %(target)s"),
    "save": _("%(actor)s saved the %(kind)s %(target)s"),
    "delete": _("%(actor)s deleted the %(kind)s %(target)s"),
    "remove": _("%(actor)s removed the %(kind)s %(target)s"),
}
SOMEONE = pgettext_lazy("audit log", "Someone")


def _actor(entry: AuditEntry) -> str:
    """Who did it: their name while their account exists, else the e-mail kept."""
    if entry.actor is not None:
        return str(entry.actor)
    return entry.actor_email or str(SOMEONE)


def _target(entry: AuditEntry) -> str:
    """What it was done to; a membership is named by its person ("Ava Baker @ Acme")."""
    label = entry.target_label
    if entry.target_type == "membership" and " @ " in label:
        label = label.rpartition(" @ ")[0]
    return label


@register.filter
def audit_sentence(entry: AuditEntry) -> str:
    """The entry as one sentence in the reader's language."""
    values = {"actor": _actor(entry), "target": _target(entry)}
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    role = changes.get("role")
    if isinstance(role, list) and len(role) == 2:
        if entry.action == "member.add" and role[1] in ADDED_AS:
            return str(ADDED_AS[role[1]]) % values
        if entry.action == "member.change" and role[1] in MADE:
            return str(MADE[role[1]]) % values
    if entry.action in SENTENCES:
        return str(SENTENCES[entry.action]) % values
    model = _model_named(entry.target_type)
    verb = VERBS.get(entry.action.rpartition(".")[2])
    if verb is not None and model is not None:
        return str(verb) % {**values, "kind": model._meta.verbose_name}
    # An action Chorus has no words for yet: its code, so nothing is hidden.
    return f"{values['actor']}: {entry.action} {values['target']}".strip()


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
