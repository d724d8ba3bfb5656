"""Detect whether a text is English or French, offline (py3langid ships its model)."""

from __future__ import annotations

from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SUPPORTED = ("en", "fr")


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(SUPPORTED))
    return identifier


def detect_language(text: str, *, minimum_confidence: float = 0.7) -> str:
    """Return "en" or "fr", or "" when the text is too short or the guess too weak."""
    text = " ".join(text.split())
    if len(text) < 12:
        return ""
    language, confidence = _identifier().classify(text)
    return str(language) if confidence >= minimum_confidence else ""
