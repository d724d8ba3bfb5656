"""Secrets at rest (social tokens, app secrets): Fernet with key rotation.

Keys come from CHORUS_ENCRYPTION_KEYS (comma-separated, newest first); without it one key
is derived from SECRET_KEY. New values are encrypted with the first key; any listed key
decrypts, so a new key can be put in front and `chorus rotate-keys` re-encrypts the rows.
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


def _fernet_key(secret: str) -> bytes:
    """Accept a ready Fernet key, or derive one from any long secret."""
    try:
        raw = base64.urlsafe_b64decode(secret.encode())
        if len(raw) == 32:
            return secret.encode()
    except (ValueError, TypeError):
        pass
    digest = hashlib.sha256(b"chorus-encryption:" + secret.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def fernet() -> MultiFernet:
    keys = tuple(settings.CHORUS_ENCRYPTION_KEYS) or (settings.SECRET_KEY,)
    return _fernet(keys)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError(
            "Cannot decrypt: the key that encrypted this value is not configured."
        ) from error


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return fernet().rotate(token.encode()).decode()


def encrypted_columns() -> list[tuple[type[models.Model], str]]:
    """Every stored secret: each EncryptedJSONField, and each text field named `*_encrypted`
    (a Fernet token kept by the model's own property). New apps are found without a list."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedJSONField) or (
                isinstance(field, models.TextField | models.CharField)
                and field.name.endswith("_encrypted")
            ):
                found.append((model, field.attname))
    return found


def rotate_all() -> int:
    """Re-encrypt every stored secret with the newest key; the number of values rewritten.
    Call inside a transaction: a row whose key is missing raises before anything is kept."""
    total = 0
    for model, column in encrypted_columns():
        manager = model._default_manager
        if isinstance(model._meta.get_field(column), EncryptedJSONField):
            # The field decrypts on the way out and encrypts with the newest key on the way in.
            # Whole lists, not server-side cursors: a missing key raises mid-way, and the
            # rollback must not find a cursor still open (PostgreSQL).
            for pk, value in list(manager.values_list("pk", column)):
                manager.filter(pk=pk).update(**{column: value})
                total += 1
            continue
        for pk, token in list(manager.exclude(**{column: ""}).values_list("pk", column)):
            if token:
                manager.filter(pk=pk).update(**{column: rotate(token)})
                total += 1
    return total


class EncryptedJSONField(models.TextField):
    """A JSON value stored encrypted; the database only ever sees Fernet tokens."""

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return {}
        return json.loads(decrypt(value))

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(decrypt(value))
            except ValueError:
                return json.loads(value)
        return value

    def get_prep_value(self, value: Any) -> Any:
        if value is None:
            value = {}
        return encrypt(json.dumps(value, sort_keys=True))
