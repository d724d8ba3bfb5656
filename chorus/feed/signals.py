"""Signals other apps listen to (feed does not import them: they sit above it)."""

from django.dispatch import Signal

# Sent with `membership` and `defaults` (a dict of field values) just before a person's
# ambassador profile is first made: receivers add their defaults (notify, above feed,
# adds the organisation's digest frequency).
profile_starting = Signal()
