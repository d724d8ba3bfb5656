"""Find text on a page that is not in the page's language.

Every visible text node, and labels a screen reader reads (aria-label, placeholder, title,
alt), is checked, except inside elements marked `translate="no"` (people's names, content)
or carrying another `lang` (the language switch). In French, a text that is an English
message of our catalog, Django's or allauth's, or that contains common English words, is
untranslated; in English, a text that is one of our French translations is out of place.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import allauth
import django
from babel.messages.pofile import read_po
from django.conf import settings

ENGLISH_WORDS = {
    "the",
    "and",
    "your",
    "you",
    "with",
    "this",
    "that",
    "for",
    "are",
    "is",
    "of",
    "to",
    "by",
    "yet",
    "all",
    "sign",
    "forgot",
    "password",
    "members",
    "teams",
    "welcome",
    "save",
    "name",
    "never",
    "created",
    "search",
    "next",
    "previous",
    "change",
    "changes",
    "when",
    "who",
    "what",
    "skip",
    "remove",
    "delete",
    "edit",
    "add",
    "create",
    "revoke",
    "token",
    "tokens",
    "log",
    "home",
    "switch",
    "back",
    "nothing",
    "here",
    "team",
    "member",
    "last",
    "used",
    "ambassador",
    "our",
    "my",
    "from",
    "not",
    "no",
    "settings",
    "help",
}
FRENCH_WORDS = {
    "le",
    "les",
    "des",
    "vous",
    "votre",
    "vos",
    "est",
    "une",
    "pour",
    "avec",
    "aucun",
    "équipe",
    "équipes",
    "membres",
    "enregistrer",
    "accueil",
    "profil",
    "jeton",
    "déconnexion",
}

EXTRACT = """
() => {
  const lang = document.documentElement.lang;
  const skip = (el) => !el || el.closest('script,style,noscript,template,[translate="no"]')
    || (el.closest('[lang]') && el.closest('[lang]').getAttribute('lang') !== lang);
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text && !skip(node.parentElement)) texts.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title],[alt]')) {
    if (skip(el)) continue;
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      const value = el.getAttribute(name);
      if (value && value.trim()) texts.push(value.trim());
    }
  }
  // The page title repeats the heading; it is data when the heading is marked as such.
  const title = document.title.split(' · ')[0];
  const data = [...document.querySelectorAll('[translate="no"]')].map(el => el.textContent.trim());
  if (!data.includes(title)) texts.push(title);
  return texts;
}
"""


def _normalise(text: str) -> str:
    text = re.sub(r"%\([a-z_]+\)[sd]", "", text)
    return re.sub(r"\s+", " ", text).strip(" :.*").lower()


def _pairs(path: Path) -> list[tuple[str, str]]:
    with path.open("rb") as handle:
        catalog = read_po(handle)
    pairs = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid, msgstr in zip(ids, strings, strict=False):
            if msgstr and _normalise(msgid) != _normalise(msgstr):
                pairs.append((_normalise(msgid), _normalise(msgstr)))
    return pairs


@cache
def catalogs() -> tuple[frozenset[str], frozenset[str]]:
    """(English messages that French translates, French strings of our own catalog)."""
    ours = Path(settings.BASE_DIR) / "chorus/locale/fr/LC_MESSAGES/django.po"
    english: set[str] = set()
    french: set[str] = set()
    for path in (
        ours,
        Path(django.__file__).parent / "conf/locale/fr/LC_MESSAGES/django.po",
        Path(allauth.__file__).parent / "locale/fr/LC_MESSAGES/django.po",
    ):
        if not path.exists():
            continue
        for msgid, msgstr in _pairs(path):
            english.add(msgid)
            if path == ours:
                french.add(msgstr)
    # Words that are the same in both languages are not evidence either way.
    same = {"menu", "actions", "organisation", "organisations", "audit", "date", "email"}
    return frozenset(english - same), frozenset(french - same)


def wrong_language_texts(page: Any, language: str) -> list[str]:
    """Texts on the page that are not in `language` ("en" or "fr")."""
    english, french = catalogs()
    found = []
    for text in page.evaluate(EXTRACT):
        normal = _normalise(text)
        words = set(re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", normal))
        if language == "fr" and (normal in english or words & ENGLISH_WORDS):
            found.append(text)
        if language == "en" and (normal in french or words & FRENCH_WORDS):
            found.append(text)
    return found


def assert_page_in(page: Any, language: str) -> None:
    assert page.evaluate("document.documentElement.lang") == language, page.url
    wrong = wrong_language_texts(page, language)
    assert wrong == [], f"{page.url} shows text not in {language!r}: {wrong}"
