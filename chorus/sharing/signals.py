"""Signals other apps listen to (sharing does not import them: they sit above it)."""

from django.dispatch import Signal

# Sent with `membership`, `kind` ("share" or "connection"), `message` (a callable that
# renders the text in the recipient's language) and `url` when a share or a connection
# needs the person: notify stores the notification (notify sits above sharing).
attention_needed = Signal()
