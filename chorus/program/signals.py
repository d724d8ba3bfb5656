"""Signals other apps listen to, so that leaving the programme stops everything at once."""

from django.dispatch import Signal

# Sent with `membership` and `anonymise` (bool) when a person leaves the programme:
# scheduled shares, notifications and social connections stop; attribution is kept or
# anonymised as they chose.
participant_left = Signal()

# Sent with `question` and `first_answer` (bool) once an answer to a question is committed:
# notify tells the person who asked (the programme does not import notify, a higher layer).
question_answered = Signal()
