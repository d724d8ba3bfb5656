"""The feed's ranking, allocation, explanations, dataset format and offline evaluation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from chorus.feed import engine
from chorus.feed.dataset import DatasetError, load, save
from chorus.feed.engine import FeedContext, Interaction, Item, Person, terms
from chorus.feed.evaluate import evaluate_all
from chorus.feed.simulate import generate

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def small_org():
    return generate(seed=3, people=120, items=200)


@pytest.fixture(scope="module")
def small_context(small_org):
    return FeedContext(small_org.people, small_org.items, small_org.train(), small_org.now)


def make_item(item_id: str, topic: str, text: str, *, language="en", hours=12, **extra) -> Item:
    return Item(
        id=item_id,
        title=text,
        summary=text,
        language=language,
        topics=[topic],
        published_at=NOW - timedelta(hours=hours),
        **extra,
    )


def catalogue() -> list[Item]:
    return [
        make_item("cloud-1", "Cloud", "Kubernetes cluster migration to the cloud"),
        make_item("cloud-2", "Cloud", "Serverless hosting and cloud infrastructure"),
        make_item("cloud-fr", "Cloud", "Migration vers le nuage et hébergement", language="fr"),
        make_item("hiring-1", "Hiring", "We are hiring engineers: careers and internships"),
        make_item("hiring-2", "Hiring", "Graduate recruitment day, interview tips"),
        make_item("security-1", "Security", "Ransomware and phishing: encryption matters"),
        make_item("security-2", "Security", "Cybersecurity threat report on breaches"),
    ]


def test_never_suggests_what_the_person_interacted_with(small_org, small_context):
    seen: dict[str, set[str]] = {}
    for interaction in small_org.train():
        seen.setdefault(interaction.person, set()).add(interaction.item)
    dismissed = {(x.person, x.item) for x in small_org.train() if x.kind == "dismiss"}
    assert dismissed, "the simulated org should contain 'not for me' feedback"
    for allocate in (True, False):
        ranked = small_context.rank_all(10, allocate=allocate)
        for person, suggestions in ranked.items():
            items = {s.item_id for s in suggestions}
            assert not items & seen.get(person, set())
            assert not any((person, item) in dismissed for item in items)
    person = small_org.people[0].id
    one = small_context.rank(person, k=50)
    assert not {s.item_id for s in one} & seen.get(person, set())


def test_only_items_in_a_language_the_person_reads():
    items = catalogue()
    english_only = Person("ann", team="t", site="London", languages=["en"], topics=["Cloud"])
    bilingual = Person("bob", team="t", site="Paris", languages=["fr", "en"], topics=["Cloud"])
    context = FeedContext([english_only, bilingual], items, [], NOW)
    assert "cloud-fr" not in {s.item_id for s in context.rank("ann", k=10)}
    assert "cloud-fr" in {s.item_id for s in context.rank("bob", k=10)}


def test_french_and_english_texts_share_features():
    assert set(terms("Sécurité des données")) & set(terms("securite"))
    assert set(terms("cybersécurité")) & set(terms("sécurité"))
    assert "les" not in terms("les nuages", analyzer="word")


def test_changing_topics_changes_ranking_and_reason():
    items = catalogue()
    person = Person("ann", team="t", site="s", languages=["en"], topics=["Cloud"])
    context = FeedContext([person], items, [], NOW)
    cloud = context.rank("ann", k=2)
    hiring = context.rank(replace(person, topics=["Hiring"]), k=2)
    assert {s.item_id for s in cloud} == {"cloud-1", "cloud-2"}
    assert {s.item_id for s in hiring} == {"hiring-1", "hiring-2"}
    assert ("topic_match", {"topics": ["Cloud"]}) in cloud[0].reasons
    assert ("topic_match", {"topics": ["Hiring"]}) in hiring[0].reasons
    assert cloud[0].components["topic"] == 1.0
    # Reasons follow the components: a component worth nothing is never stated.
    security = context.rank(replace(person, topics=["Security"]), k=1)[0]
    assert ("topic_match", {"topics": ["Security"]}) in security.reasons
    assert not any(code == "campaign_priority" for code, _ in security.reasons)


def test_reasons_state_campaign_and_freshness_from_the_scores():
    items = [
        *catalogue(),
        make_item("launch", "Product", "Product launch", hours=2, campaign_priority=5),
    ]
    person = Person("ann", team="t", site="s", languages=["en"], topics=[])
    suggestion = FeedContext([person], items, [], NOW).rank("ann", k=1)[0]
    assert suggestion.item_id == "launch"
    reasons = dict(suggestion.reasons)
    assert reasons["campaign_priority"] == {"priority": 5, "targeted": False}
    assert reasons["fresh"] == {"hours": 2}


def test_not_for_me_lowers_similar_items_later():
    items = catalogue()
    person = Person("ann", team="t", site="s", languages=["en"], topics=["Security", "Hiring"])
    before = FeedContext([person], items, [], NOW)
    dismiss = Interaction("ann", "security-1", "dismiss", NOW - timedelta(hours=1))
    after = FeedContext([person], items, [dismiss], NOW)

    def score(context: FeedContext, item: str) -> float:
        return next(s.score for s in context.rank("ann", k=10) if s.item_id == item)

    assert "security-1" not in {s.item_id for s in after.rank("ann", k=10)}
    assert score(after, "security-2") < score(before, "security-2")
    # Items unlike the dismissed one are not hurt.
    assert score(after, "hiring-1") == pytest.approx(score(before, "hiring-1"), rel=1e-4)
    order = [s.item_id for s in after.rank("ann", k=3)]
    assert order.index("hiring-1") < order.index("security-2")


def test_queued_by_a_teammate_pushes_an_item_down():
    items = catalogue()
    ann = Person("ann", team="t", site="s", languages=["en"], topics=["Cloud"])
    bob = Person("bob", team="t", site="s", languages=["en"], topics=["Cloud"])
    context = FeedContext([ann, bob], items, [], NOW)
    top = context.rank("ann", k=1)[0].item_id
    pushed = context.rank("ann", k=7, queued_or_shared_by={top: {"bob"}})
    assert pushed[0].item_id != top
    moved = next(s for s in pushed if s.item_id == top)
    assert ("pushed_down_overlap", {"colleagues": 1}) in moved.reasons


def _pair_overlap(ranked, context: FeedContext) -> float:
    """Mean number of shared items between people of the same team."""
    by_team: dict[str, list[set[str]]] = {}
    for person in context.people:
        by_team.setdefault(person.team, []).append({s.item_id for s in ranked[person.id]})
    overlaps = [
        len(a & b)
        for lists in by_team.values()
        for n, a in enumerate(lists)
        for b in lists[n + 1 :]
    ]
    return float(np.mean(overlaps))


def test_allocation_spreads_items_across_overlapping_colleagues(small_context):
    without = small_context.rank_all(10, allocate=False)
    with_allocation = small_context.rank_all(10)
    assert _pair_overlap(with_allocation, small_context) < 0.95 * _pair_overlap(
        without, small_context
    )
    spread = {s.item_id for suggestions in with_allocation.values() for s in suggestions}
    narrow = {s.item_id for suggestions in without.values() for s in suggestions}
    assert len(spread) > len(narrow)
    assert any(
        code == "pushed_down_overlap"
        for suggestions in with_allocation.values()
        for s in suggestions
        for code, _ in s.reasons
    )


def test_dataset_round_trip(tmp_path: Path, small_org):
    save(small_org, tmp_path)
    loaded = load(tmp_path)
    assert loaded.now == small_org.now
    assert [p.id for p in loaded.people] == [p.id for p in small_org.people]
    assert loaded.items[0] == small_org.items[0]
    assert len(loaded.train()) == len(small_org.train())
    assert len(loaded.test()) == len(small_org.test())


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        ("items.jsonl", '{"id": "x", "title": "t", "published_at": "2026-01-01T00:00:00"}',
         "items.jsonl:2: published_at needs a time zone"),
        ("items.jsonl", '{"id": "x", "title": "t", "published_at": "2026-01-01T00:00:00Z", '
         '"campaign_priority": 9}', "items.jsonl:2: campaign_priority must be an integer"),
        ("people.jsonl", '{"id": "p", "topics": "Cloud"}',
         "people.jsonl:2: topics must be a list of strings"),
        ("people.jsonl", "{not json", "people.jsonl:2: not valid JSON"),
        ("interactions.jsonl", '{"person": "nobody", "item": "i1", "kind": "share", '
         '"at": "2026-01-01T00:00:00Z"}', "interactions.jsonl:2: unknown person 'nobody'"),
        ("interactions.jsonl", '{"person": "p1", "item": "i1", "kind": "like", '
         '"at": "2026-01-01T00:00:00Z"}', "interactions.jsonl:2: kind must be one of"),
    ],
)  # fmt: skip
def test_dataset_loader_rejects_bad_files(tmp_path: Path, file: str, line: str, message: str):
    (tmp_path / "meta.json").write_text('{"now": "2026-03-02T12:00:00Z"}')
    good = {
        "people.jsonl": '{"id": "p1", "team": "a", "site": "b", "languages": ["en"]}',
        "items.jsonl": '{"id": "i1", "title": "Hello", "published_at": "2026-01-01T00:00:00Z"}',
        "interactions.jsonl": '{"person": "p1", "item": "i1", "kind": "click", '
        '"at": "2026-01-02T00:00:00Z"}',
    }
    for name, content in good.items():
        extra = f"\n{line}\n" if name == file else "\n"
        (tmp_path / name).write_text(content + extra)
    with pytest.raises(DatasetError, match=message.replace("(", r"\(")):
        load(tmp_path)


def test_dataset_loader_reports_missing_files(tmp_path: Path):
    with pytest.raises(DatasetError, match=r"meta\.json: file is missing"):
        load(tmp_path)


def test_feed_recommend_prints_one_json_line_per_person(tmp_path: Path):
    dataset = generate(seed=5, people=40, items=80)
    save(dataset, tmp_path)
    out = StringIO()
    call_command("feed-recommend", "--dataset", str(tmp_path), "--k", "5", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["person"] for line in lines] == [p.id for p in dataset.people]
    seen: dict[str, set[str]] = {}
    for interaction in dataset.train():
        seen.setdefault(interaction.person, set()).add(interaction.item)
    for line in lines:
        assert set(line) == {"person", "items"}
        assert 0 < len(line["items"]) <= 5
        assert len(set(line["items"])) == len(line["items"])
        assert not set(line["items"]) & seen.get(line["person"], set())


def test_feed_recommend_rejects_a_bad_dataset(tmp_path: Path):
    with pytest.raises(CommandError, match="file is missing"):
        call_command("feed-recommend", "--dataset", str(tmp_path), stdout=StringIO())


@pytest.fixture(scope="module")
def evaluation_runs():
    # The same organisations as `chorus feed-eval` by default (300 people x 400 items).
    return [evaluate_all(generate(seed, people=300, items=400)) for seed in (1, 2, 3, 4, 5)]


def _mean(runs, ranker: str, metric: str) -> float:
    return float(np.mean([getattr(run[ranker], metric) for run in runs]))


def test_feed_eval_meets_the_targets(evaluation_runs):
    """Over several seeds: NDCG@10 >= 1.5x popularity and >= 2x recency, reach >= 1.3x recency."""
    runs = evaluation_runs
    assert _mean(runs, "chorus", "ndcg") >= 1.5 * _mean(runs, "popularity", "ndcg")
    assert _mean(runs, "chorus", "reach") >= 1.3 * _mean(runs, "recency", "reach")
    assert _mean(runs, "chorus", "coverage") > _mean(runs, "recency", "coverage")
    assert _mean(runs, "chorus", "ndcg") >= 2.0 * _mean(runs, "recency", "ndcg")


def test_feed_eval_command_prints_table_and_json():
    out = StringIO()
    call_command("feed-eval", "--seeds", "7", "--people", "40", "--items", "60", stdout=out)
    text = out.getvalue()
    assert "chorus/recency" in text and "chorus/popularity" in text
    out = StringIO()
    call_command(
        "feed-eval", "--seeds", "7", "--people", "40", "--items", "60", "--json", stdout=out
    )
    document = json.loads(out.getvalue())
    assert set(document["average"]) == {"chorus", "recency", "popularity"}
    assert {"ndcg", "recall", "coverage", "reach"} <= set(document["average"]["chorus"])


# ---------------------------------------------------------------- the live feed's paths


def _lists(ranked) -> dict[str, list[str]]:
    return {person: [s.item_id for s in suggestions] for person, suggestions in ranked.items()}


def test_sparse_similarities_rank_like_the_full_matrices(small_org, small_context, monkeypatch):
    """Large catalogues keep item-item similarities sparse: same rankings, same scores."""
    monkeypatch.setattr(engine, "DENSE_ITEMS_LIMIT", 0)
    sparse = FeedContext(small_org.people, small_org.items, small_org.train(), small_org.now)
    assert isinstance(sparse.co_share_similarity, engine.SparseSimilarity)
    assert sparse.co_share_scale == pytest.approx(small_context.co_share_scale, rel=1e-5)
    dense_ranked = small_context.rank_all(10)
    sparse_ranked = sparse.rank_all(10)
    assert sparse.text_similarity is sparse.text  # never materialised
    assert _lists(sparse_ranked) == _lists(dense_ranked)
    for person in list(dense_ranked)[:20]:
        for a, b in zip(dense_ranked[person], sparse_ranked[person], strict=True):
            assert a.score == pytest.approx(b.score, rel=1e-4, abs=1e-6)
            assert a.reasons == b.reasons


def test_one_person_is_ranked_like_everybody_at_once(small_org, small_context):
    """`rank` (the live feed) and `rank_all` (feed-recommend) are the same ranking."""
    everybody = small_context.rank_all(10, allocate=False)
    for person in small_org.people[:30]:
        one = small_context.rank(person.id, k=10)
        assert [s.item_id for s in one] == [s.item_id for s in everybody[person.id]]
        assert [s.score for s in one] == pytest.approx(
            [s.score for s in everybody[person.id]], rel=1e-5
        )


def test_fresh_interactions_replace_the_stored_history():
    items = catalogue()
    ann = Person("ann", team="t", site="s", languages=["en"], topics=["Security", "Hiring"])
    dismiss = Interaction("ann", "security-1", "dismiss", NOW - timedelta(hours=1))
    built_before = FeedContext([ann], items, [], NOW - timedelta(hours=2))
    built_after = FeedContext([ann], items, [dismiss], NOW)
    fresh = built_before.rank(ann, k=10, now=NOW, interactions=[dismiss])
    expected = built_after.rank("ann", k=10)
    assert [s.item_id for s in fresh] == [s.item_id for s in expected]
    assert "security-1" not in {s.item_id for s in fresh}
    # Only the person's own interactions up to `now` count.
    later = Interaction("ann", "hiring-1", "share", NOW + timedelta(hours=1))
    other = Interaction("bob", "hiring-2", "dismiss", NOW - timedelta(hours=1))
    kept = built_before.rank(ann, k=10, now=NOW, interactions=[dismiss, later, other])
    assert {"hiring-1", "hiring-2"} <= {s.item_id for s in kept}


def test_a_reused_text_index_gives_the_same_ranking(small_org, small_context):
    again = FeedContext(
        small_org.people, small_org.items, small_org.train(), small_org.now,
        text=small_context.text,
    )  # fmt: skip
    assert again.text is small_context.text
    person = small_org.people[3].id
    assert [s.item_id for s in again.rank(person, k=10)] == [
        s.item_id for s in small_context.rank(person, k=10)
    ]


def test_holding_built_once_ranks_like_the_mapping():
    items = catalogue()
    ann = Person("ann", team="t", site="s", languages=["en"], topics=["Cloud"])
    bob = Person("bob", team="t", site="s", languages=["en"], topics=["Cloud"])
    context = FeedContext([ann, bob], items, [], NOW)
    mapping = {"cloud-1": {"bob", "nobody"}, "unknown": {"bob"}}
    holding = context.holding(mapping)
    assert len(holding.items) == 1
    by_mapping = context.rank("ann", k=7, queued_or_shared_by=mapping)
    by_holding = context.rank("ann", k=7, queued_or_shared_by=holding)
    assert [(s.item_id, s.reasons) for s in by_mapping] == [
        (s.item_id, s.reasons) for s in by_holding
    ]


def test_the_text_products_by_chunks_equal_one_pass(monkeypatch):  # type: ignore[no-untyped-def]
    dataset = generate(seed=3, people=20, items=120)
    index = engine.TextIndex(FeedContext.item_texts(dataset.items))
    vector = np.random.default_rng(2).random(len(index.vocabulary)).astype(np.float32)
    whole = index._dot_all(vector)
    monkeypatch.setattr(engine, "DOT_CHUNK", 37)  # many chunks, rows cut nowhere
    np.testing.assert_array_equal(index._dot_all(vector), whole)
    products = vector[index.indices] * index.data
    expected = np.array(
        [
            products[index.indptr[r] : index.indptr[r + 1]].sum(dtype=np.float32)
            for r in range(index.n)
        ]
    )
    np.testing.assert_allclose(whole, expected, rtol=1e-5)
