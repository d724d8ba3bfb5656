"""Signals other apps listen to about organisations' people."""

from django.dispatch import Signal

# Sent with `invitation` and `membership` when an invitation is revoked and the person stays
# a member (they had signed in before, or were a member already): an app that invited them
# to something through it (the programme) withdraws that.
invitation_revoked = Signal()
