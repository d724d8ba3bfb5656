"""Matching compliance words in a post, with case and accents folded.

A rule is a word or a phrase of words, where a trailing `*` lets a word go on
("garanti*" matches "garantie", "garantis", "Garantí"). No regular expressions: a rule is
compared word by word with the post's words, so the time it takes grows with the post's
length and never explodes on a crafted pattern (catastrophic backtracking cannot happen).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_WORD = re.compile(r"\w+")
_TERM = re.compile(r"\w+\*?")
_JOINERS = re.compile("[\u2019'\\-]")  # apostrophes (typed and typographic), hyphens
MAX_WORDS = 12


def fold(text: str) -> str:
    """The text with accents removed and case folded ("Été" and "ete" fold alike)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Phrase:
    """A compiled rule: folded words, each either whole or a prefix (trailing *)."""

    terms: tuple[tuple[str, bool], ...]

    def found_in(self, post: Sequence[str]) -> bool:
        """True when the post's words (from `words`) contain the phrase's words in a row."""
        size = len(self.terms)
        for start in range(len(post) - size + 1):
            if all(
                post[start + offset].startswith(term) if prefix else post[start + offset] == term
                for offset, (term, prefix) in enumerate(self.terms)
            ):
                return True
        return False


def compile_phrase(phrase: str) -> Phrase:
    """The rule's words; raise ValidationError with a clear message when it is not one."""
    # Elisions and compounds are separate words, as in the post ("l'or", "taux-zéro").
    pieces = _JOINERS.sub(" ", phrase).split()
    if not pieces:
        raise ValidationError(_("Write a word or a phrase."), code="empty")
    if len(pieces) > MAX_WORDS:
        raise ValidationError(
            _("A rule has at most %(count)s words.") % {"count": MAX_WORDS}, code="too_long"
        )
    terms = []
    for piece in pieces:
        folded = fold(piece)
        if not _TERM.fullmatch(folded):
            raise ValidationError(
                _(
                    "“%(piece)s” is not a word: use letters and digits, and a * only at the "
                    "end of a word (guarantee*). Patterns such as regular expressions are not "
                    "accepted."
                )
                % {"piece": piece},
                code="not_a_word",
            )
        prefix = folded.endswith("*")
        terms.append((folded.rstrip("*"), prefix))
    return Phrase(tuple(terms))


def validate_phrase(phrase: str) -> None:
    compile_phrase(phrase)


def contains(text: str, needed: str) -> bool:
    """True when `text` carries `needed`, whatever the case, accents and spacing."""
    wanted = " ".join(fold(needed).split())
    return not wanted or wanted in " ".join(fold(text).split())
