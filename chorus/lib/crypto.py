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
