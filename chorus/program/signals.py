"""Signals other apps listen to, so that leaving the programme stops everything at once."""

from django.dispatch import Signal

# Sent with `membership` and `anonymise` (bool) when a person leaves the programme:
# scheduled shares, notifications and social connections stop; attribution is kept or
# anonymised as they chose.
participant_left = Signal()
