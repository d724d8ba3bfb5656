"""Database ids typed by a client: parsed once, bounded, so no lookup ever overflows.

Django guards `pk=<huge>` itself, but not `pk__in=[<huge>]` nor `fk_id=<huge>`: on SQLite
the driver raises OverflowError for integers beyond 64 bits, and PostgreSQL refuses them as
out of range for bigint. Every id read from a query string, a form or a JSON body goes
through here (or through `chorus.api.common.Id` in the API) before it reaches a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1  # the largest bigint, SQLite's and PostgreSQL's alike


def parse_id(value: Any) -> int | None:
    """A positive id within the database's range, or None.

    Accepts an int or a string of ASCII digits ("²" is a digit to Python, not to int);
    anything else, zero, negatives and values beyond 2**63 - 1 give None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        value = value.strip()
        if not (value.isascii() and value.isdigit()) or len(value) > 19:
            return None
        number = int(value)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


def parse_ids(values: Iterable[Any]) -> list[int]:
    """The valid ids among `values`, in order, without the others."""
    return [number for number in map(parse_id, values) if number is not None]


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses values that cannot be an id before querying."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            for pk in value:
                if parse_id(pk) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super().clean(value)
