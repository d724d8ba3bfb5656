"""The originality check: own words against the suggested captions, colleagues' near-duplicates."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.sharing.originality import (
    NEAR_DUPLICATE_THRESHOLD,
    Check,
    NearDuplicateIndex,
    check,
    own_words,
    signature,
    similarity,
    words,
)

ITEM_LINK = "https://acme.example/climate-2025"
MY_LINK = "https://go.acme.example/l/Xy7Kq2"
COLLEAGUE_LINK = "https://go.acme.example/l/Pm4Rt9"

CAPTION = (
    "Our 2025 climate report is out. We cut the emissions of our data centres by 38% in two "
    "years, mostly by moving workloads to regions powered by wind and solar. The report details "
    "every figure, the methods we used and the places where we still fall short. Read it, "
    f"challenge it, and tell us what we should measure next. {ITEM_LINK} #Climate #Sustainability"
)
SHORT_CAPTION = (
    "38% fewer emissions from our data centres in two years. The full climate report explains "
    f"how, and where we still fall short. {ITEM_LINK} #Climate"
)
SUGGESTIONS = [CAPTION, SHORT_CAPTION]

CAPTION_FR = (
    "Le 14 mars, nous ouvrons les portes de notre atelier de Nantes pour une journée consacrée à "
    "la réparation des objets du quotidien. Nos techniciens vous montreront comment prolonger la "
    "vie d'un grille-pain, d'un vélo ou d'un ordinateur portable. Entrée libre, inscription "
    "conseillée, café offert aux premiers arrivés."
)

PERSONAL = (
    "I spent last winter measuring power draw in our Frankfurt racks, so seeing that 38% drop in "
    "print feels unreal. Honest note: the hard part was not signing wind contracts, it was "
    "convincing teams to let their batch jobs run at night. Proud of this crew, and curious what "
    f"you would want us to track next year. {MY_LINK}"
)
PERSONAL_FR = (
    "J'y serai avec mon vieux vélo qui grince depuis trois ans ! L'an dernier, Karim m'a appris à "
    "changer une chaîne en dix minutes et depuis je ne jette plus rien sans demander conseil. Si "
    "vous passez à Nantes ce jour-là, venez dire bonjour à l'atelier."
)

# What colleagues already posted: the two captions as shared, and posts of their own.
COLLEAGUES = [
    ("alice", CAPTION.replace(ITEM_LINK, COLLEAGUE_LINK)),
    ("bob", f"{CAPTION_FR} https://go.acme.example/l/Bb2Cc3"),
    (
        "chloe",
        "Our Lyon team is hiring five backend engineers. I joined two years ago and nobody "
        "apologises for taking a real holiday here. DM me for an honest coffee chat.",
    ),
    (
        "david",
        "Fier de mon équipe : l'étude sur le télétravail montre ce que je vois au quotidien, "
        "les déjeuners mensuels comptent plus que trois jours imposés au bureau.",
    ),
]


def reversed_sentences(text: str) -> str:
    sentences = text.replace(f" {ITEM_LINK} #Climate #Sustainability", "").split(". ")
    return ". ".join(reversed(sentences)) + f". {MY_LINK}"


CASES = [
    # name, text, suggestions, links, (lowest, highest) originality, near-duplicate expected
    ("exact copy", CAPTION, SUGGESTIONS, (), (0.0, 0.0), True),
    (
        "copy plus three words",
        CAPTION.replace("is out", "is finally out")
        .replace("fall short", "fall badly short")
        .replace("measure next", "measure together next"),
        SUGGESTIONS,
        (),
        (0.01, 0.25),
        True,
    ),
    (
        "copy plus a three-word intro",
        f"So proud today! {CAPTION}",
        SUGGESTIONS,
        (),
        (0.01, 0.25),
        True,
    ),
    ("sentences reordered", reversed_sentences(CAPTION), SUGGESTIONS, [MY_LINK], (0.0, 0.15), True),
    ("personal text", PERSONAL, SUGGESTIONS, [MY_LINK], (0.8, 1.0), False),
    ("another link", CAPTION.replace(ITEM_LINK, MY_LINK), SUGGESTIONS, [MY_LINK], (0.0, 0.0), True),
    (
        "link without its scheme",
        CAPTION.replace(ITEM_LINK, "go.acme.example/l/Xy7Kq2"),
        SUGGESTIONS,
        ["go.acme.example/l/Xy7Kq2"],
        (0.0, 0.0),
        True,
    ),
    (
        "hashtags and mentions as plain words",
        CAPTION.replace("#Climate #Sustainability", "climate, sustainability").replace(
            "Read it,", "@Read it,"
        ),
        SUGGESTIONS,
        (),
        (0.0, 0.0),
        True,
    ),
    (
        "French without accents, upper case",
        "LE 14 MARS, NOUS OUVRONS LES PORTES DE NOTRE ATELIER DE NANTES POUR UNE JOURNEE "
        "CONSACREE A LA REPARATION DES OBJETS DU QUOTIDIEN. NOS TECHNICIENS VOUS MONTRERONT "
        "COMMENT PROLONGER LA VIE D'UN GRILLE-PAIN, D'UN VELO OU D'UN ORDINATEUR PORTABLE. "
        "ENTREE LIBRE, INSCRIPTION CONSEILLEE, CAFE OFFERT AUX PREMIERS ARRIVES.",
        [CAPTION_FR],
        (),
        (0.0, 0.0),
        True,
    ),
    (
        "French accents decomposed (NFD)",
        unicodedata.normalize("NFD", CAPTION_FR),
        [CAPTION_FR],
        (),
        (0.0, 0.0),
        True,
    ),
    ("French personal text", PERSONAL_FR, [CAPTION_FR], (), (0.8, 1.0), False),
    ("empty text", "", SUGGESTIONS, (), (1.0, 1.0), False),
    ("only a link", MY_LINK, SUGGESTIONS, [MY_LINK], (1.0, 1.0), False),
    ("two words from the caption", "Challenge it!", SUGGESTIONS, (), (0.0, 0.0), False),
    ("two words of one's own", "So proud!", SUGGESTIONS, (), (1.0, 1.0), False),
    ("one word from the caption", "#Climate", SUGGESTIONS, (), (0.0, 0.0), False),
]


@pytest.fixture(scope="module")
def colleagues() -> NearDuplicateIndex[str]:
    return NearDuplicateIndex(COLLEAGUES)


@pytest.mark.parametrize(
    ("text", "suggestions", "links", "expected", "duplicate"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_check(
    colleagues: NearDuplicateIndex[str],
    text: str,
    suggestions: list[str],
    links: list[str],
    expected: tuple[float, float],
    duplicate: bool,
) -> None:
    result = check(text, suggestions, colleagues, links=links)

    lowest, highest = expected
    assert lowest <= result.originality <= highest
    assert result.originality == own_words(text, suggestions, links)
    assert result.identical_share == round(1 - result.originality, 2)
    if duplicate:
        assert result.near_duplicates == 1
        assert result.max_similarity >= NEAR_DUPLICATE_THRESHOLD
    else:
        assert result.near_duplicates == 0
        assert result.max_similarity < NEAR_DUPLICATE_THRESHOLD


def test_check_figures_for_the_composer(colleagues: NearDuplicateIndex[str]) -> None:
    text = f"So proud today! {CAPTION.replace(ITEM_LINK, MY_LINK)}"

    result = check(text, SUGGESTIONS, colleagues, links=[MY_LINK])

    # 3 of the 64 words are the person's own.
    assert len(words(text, [MY_LINK])) == 64
    assert result == Check(
        originality=pytest.approx(3 / 64),
        identical_share=0.95,
        near_duplicates=1,
        max_similarity=pytest.approx(result.max_similarity),
    )
    assert 0.9 < result.max_similarity < 1.0


def test_a_personal_text_still_reports_its_closest_colleague(
    colleagues: NearDuplicateIndex[str],
) -> None:
    # One sentence quoted, the rest personal: partly copied, not a near-duplicate.
    text = f"Our 2025 climate report is out. {PERSONAL}"

    result = check(text, SUGGESTIONS, colleagues, links=[MY_LINK])

    assert result.originality == pytest.approx(1 - 6 / len(words(text, [MY_LINK])))
    assert result.near_duplicates == 0
    assert 0.0 < result.max_similarity < 0.5


def test_words_are_folded_without_urls_or_punctuation() -> None:
    text = "Écoutez @Chloé: l'ÉQUIPE #Fière ! https://x.example/a?b=1 www.acme.example ok_go"
    assert words(text) == ["ecoutez", "chloe", "l", "equipe", "fiere", "ok", "go"]


def test_a_given_link_is_removed_with_its_query_string() -> None:
    text = "Read https://go.acme.example/l/Xy7Kq2?utm_source=linkedin or go.acme.example/l/Xy7Kq2"
    assert words(text, ["go.acme.example/l/Xy7Kq2"]) == ["read", "or"]


def test_a_text_made_of_several_suggestions_is_all_taken() -> None:
    text = f"{SHORT_CAPTION} {CAPTION_FR}"
    assert own_words(text, [CAPTION_FR, SHORT_CAPTION]) == 0.0
    assert own_words(text, [CAPTION_FR]) == pytest.approx(
        1 - len(words(CAPTION_FR)) / len(words(text))
    )


def test_no_suggestions_leaves_every_word_own() -> None:
    assert own_words(CAPTION, []) == 1.0
    assert own_words(CAPTION, [""]) == 1.0


# --- The index ------------------------------------------------------------------------------


def test_query_returns_the_near_identical_texts_most_alike_first() -> None:
    index = NearDuplicateIndex[int]()
    index.add(1, CAPTION)
    index.add(2, CAPTION.replace("two years", "three years"))
    index.add(3, PERSONAL)

    matches = index.query(CAPTION.replace(ITEM_LINK, MY_LINK))

    assert [key for key, _ in matches] == [1, 2]
    assert matches[0][1] == 1.0
    assert NEAR_DUPLICATE_THRESHOLD <= matches[1][1] < 1.0
    assert len(index) == 3


def test_threshold() -> None:
    # The caption with its last two sentences rewritten: related, not the same post.
    rewritten = (
        "Our 2025 climate report is out. We cut the emissions of our data centres by 38% in two "
        "years, mostly by moving workloads to regions powered by wind and solar. I helped write "
        "the chapter on batch jobs at night, ask me anything about it."
    )
    index = NearDuplicateIndex([("caption", CAPTION)])
    score = similarity(signature(rewritten), signature(CAPTION))
    assert 0.4 < score < NEAR_DUPLICATE_THRESHOLD

    assert index.query(rewritten) == []
    assert index.query(rewritten, threshold=0.4) == [("caption", pytest.approx(score))]
    assert index.query(rewritten, threshold=score) == [("caption", pytest.approx(score))]


def test_empty_texts_match_nothing() -> None:
    index = NearDuplicateIndex([("empty", ""), ("link", MY_LINK), ("caption", CAPTION)])

    assert index.query("") == []
    assert index.query(MY_LINK) == []
    assert NearDuplicateIndex[str]().query(CAPTION) == []
    assert signature(f"  {MY_LINK} !!") == b""


def test_an_index_rebuilt_from_stored_signatures_gives_the_same_answers() -> None:
    built = NearDuplicateIndex[str]()
    stored = [(key, built.add(key, text)) for key, text in COLLEAGUES]
    rebuilt = NearDuplicateIndex.from_signatures(stored)

    assert all(isinstance(value, bytes) for _, value in stored)
    for query in [CAPTION, CAPTION_FR, PERSONAL, reversed_sentences(CAPTION), "Challenge it!"]:
        assert rebuilt.query(query, threshold=0.0) == built.query(query, threshold=0.0)
        assert rebuilt.query_signature(signature(query)) == built.query(query)


def test_a_truncated_signature_is_refused() -> None:
    with pytest.raises(ValueError, match="32-bit"):
        NearDuplicateIndex.from_signatures([("alice", signature(CAPTION)[:-1])])


def test_texts_added_one_by_one_are_found_before_and_after_they_are_merged() -> None:
    texts = [(n, f"Colleague {n} shares: {CAPTION}") for n in range(10)] + COLLEAGUES
    index = NearDuplicateIndex[object]()
    index.MERGE_EVERY = 4
    for number, (key, text) in enumerate(texts):
        index.add(key, text)
        # Some answers come from the merged arrays, the last ones from the short list.
        assert len(index.query(CAPTION)) == min(number + 1, 11)

    assert index.query(CAPTION, threshold=0.0) == NearDuplicateIndex(texts).query(
        CAPTION, threshold=0.0
    )


def test_signatures_are_stable_across_processes_and_releases() -> None:
    # Stored with each share: the same text must give the same bytes in every process
    # (no salted hash()) and after upgrades, or rebuilt indexes would silently miss.
    assert signature("Bonjour le monde") == bytes.fromhex("a9caf60b2b3db5c2")
    assert signature("Hello") == bytes.fromhex("ea6706f7")
    assert signature("bonjour, LE MONDE!") == signature("Bonjour le monde")


# --- Properties -----------------------------------------------------------------------------

texts = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "Z", "M", "S"]), min_size=0, max_size=200
)


@given(texts)
def test_a_text_is_a_near_duplicate_of_itself(text: str) -> None:
    index = NearDuplicateIndex([("same", text)])
    expected = [("same", 1.0)] if words(text) else []
    assert index.query(text) == expected


@given(texts)
def test_a_suggestion_copied_has_no_own_words(text: str) -> None:
    assert own_words(text, [text]) == (0.0 if words(text) else 1.0)


@given(texts, st.lists(texts, max_size=3))
def test_own_words_is_a_share(text: str, suggestions: list[str]) -> None:
    assert 0.0 <= own_words(text, suggestions) <= 1.0


@given(texts, texts)
def test_similarity_is_symmetric_and_bounded(first: str, second: str) -> None:
    forward = similarity(signature(first), signature(second))
    assert forward == similarity(signature(second), signature(first))
    assert 0.0 <= forward <= 1.0
