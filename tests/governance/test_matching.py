"""Compliance words matched with case and accents folded, in French and English, and rule
patterns that cannot be abused (no regular expressions, clear errors)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase

from chorus.governance.matching import compile_phrase, contains, fold, words


def found(rule: str, text: str) -> bool:
    return compile_phrase(rule).found_in(words(text))


class MatchingTests(SimpleTestCase):
    def test_french_accents_and_case_are_folded_both_ways(self) -> None:
        self.assertEqual(fold("ÉTÉ Garantie Œuvre"), "ete garantie œuvre")
        self.assertTrue(found("rendement assuré", "Un RENDEMENT ASSURE de 8 % !"))
        self.assertTrue(found("rendement assure", "un rendement assuré"))
        self.assertTrue(found("garanti*", "Capital GARANTIE à 100 %"))
        self.assertTrue(found("garanti*", "capital garantí"))
        self.assertTrue(found("l'or", "Investissez dans L’OR maintenant"))  # noqa: RUF001
        self.assertFalse(found("garanti*", "une garde, un garant"))

    def test_english_phrases_match_whole_words_in_a_row(self) -> None:
        self.assertTrue(found("guaranteed returns", "Guaranteed   returns, every year."))
        self.assertFalse(found("guaranteed returns", "returns are not guaranteed"))
        self.assertFalse(found("cure", "a secure plan"))  # whole words, not inside a word
        self.assertTrue(found("cure*", "it cures everything"))

    def test_patterns_other_than_words_get_a_clear_error(self) -> None:
        for bad in ["(a+)+$", "gu*rantee", "*returns", "[abc]", "a|b", "   "]:
            with self.subTest(bad=bad), self.assertRaises(ValidationError) as raised:
                compile_phrase(bad)
            self.assertTrue(raised.exception.messages[0])
        with self.assertRaises(ValidationError):
            compile_phrase(" ".join(["word"] * 13))

    def test_a_long_hostile_text_is_matched_word_by_word(self) -> None:
        # The classic catastrophic case for (a+)+b: here it is a word compared with words.
        text = "a" * 50_000 + "!"
        self.assertFalse(found("aaaab*", text))
        self.assertTrue(found("a*", text))

    def test_a_disclosure_is_found_whatever_the_case_accents_and_spacing(self) -> None:
        self.assertTrue(contains("Great day.\n#Employé  chez   Acme", "#employé chez Acme"))
        self.assertTrue(contains("je suis #EMPLOYE chez acme", "#employé chez Acme"))
        self.assertFalse(contains("je suis employé chez Acme", "#employé chez Acme"))
