"""One ranking context per organisation, shared by processes and learnt again after a share.

- the engine: a context learnt again from new interactions ranks exactly like one built
  from scratch with them (dense and sparse similarities);
- the live feed: a context written once is mapped by another process, or by this one
  after its cache is reset, with the same ranking and without a rebuild; a colleague's
  share is learnt without a rebuild and gives the ranking a full rebuild gives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from chorus.feed import cache, engine, live, shared
from chorus.feed.engine import FeedContext, Person
from chorus.feed.live import feed_for
from chorus.feed.models import Feedback
from chorus.feed.simulate import generate
from chorus.links.actions import link_for
from chorus.sharing.models import Share
from tests.factory import make_member, make_share
from tests.feed.test_live_feed import FeedTestCase

ROOT = Path(__file__).resolve().parents[2]


def _ranking(context: FeedContext, **kwargs: object) -> dict[str, list[tuple[str, float]]]:
    return {
        person: [(s.item_id, round(s.score, 6)) for s in suggestions]
        for person, suggestions in context.rank_all(k=10, **kwargs).items()  # type: ignore[arg-type]
    }


@pytest.mark.parametrize("dense", [True, False])
def test_learning_new_interactions_equals_a_full_rebuild(monkeypatch, dense: bool) -> None:  # type: ignore[no-untyped-def]
    if not dense:
        monkeypatch.setattr(engine, "DENSE_ITEMS_LIMIT", 0)
    dataset = generate(seed=4, people=60, items=150)
    past = dataset.train()
    earlier = [i for i in past if i.kind != "share"] + [i for i in past if i.kind == "share"][:-40]
    old = FeedContext(dataset.people, dataset.items, earlier, dataset.now)
    learnt = old.with_interactions(past)
    rebuilt = FeedContext(dataset.people, dataset.items, past, dataset.now)
    assert learnt.text is old.text  # the text index is shared, not rebuilt
    assert _ranking(learnt) == _ranking(rebuilt)
    assert _ranking(learnt) != _ranking(old)  # the new shares did change something
    person = dataset.people[0]
    assert [s.reasons for s in learnt.rank(person, 10, interactions=past)] == [
        s.reasons for s in rebuilt.rank(person, 10, interactions=past)
    ]


@pytest.mark.parametrize("dense", [True, False])
def test_learning_more_interactions_equals_learning_them_all_at_once(
    monkeypatch, dense: bool
) -> None:  # type: ignore[no-untyped-def]
    if not dense:
        monkeypatch.setattr(engine, "DENSE_ITEMS_LIMIT", 0)
    dataset = generate(seed=5, people=60, items=150)
    past = dataset.train()
    shares = [i for i in past if i.kind == "share"]
    earlier = [i for i in past if i.kind != "share"] + shares[:-30]
    later = shares[-30:] + [i for i in past if i.kind == "dismiss"][:3]
    old = FeedContext(dataset.people, dataset.items, earlier, dataset.now)
    grown = old.with_more_interactions(later)
    rebuilt = FeedContext(dataset.people, dataset.items, earlier + later, dataset.now)
    assert _ranking(grown) == _ranking(rebuilt)
    assert _ranking(grown) != _ranking(old)
    assert _ranking(old) == _ranking(
        FeedContext(dataset.people, dataset.items, earlier, dataset.now)
    )
    person = dataset.people[1]
    assert [(s.item_id, s.reasons) for s in grown.rank(person, 10, interactions=past)] == [
        (s.item_id, s.reasons) for s in rebuilt.rank(person, 10, interactions=past)
    ]


_SECOND_PROCESS = """
import json, sys
import django
from django.conf import settings
django.setup()
settings.CHORUS_FEED_DIR = sys.argv[1]  # the test process's folder; no database read
from chorus.feed import shared
from chorus.feed.engine import Person
feed = shared.load(int(sys.argv[2]), sys.argv[3])
person = Person(**json.loads(sys.argv[4]))
print(json.dumps([
    [s.item_id, round(s.score, 6), s.reasons]
    for s in feed.context.rank(person, 10, queued_or_shared_by=feed.holding, now=feed.built_at)
]))
"""


class SharedFeedTests(FeedTestCase):
    def setUp(self) -> None:
        super().setUp()
        shared.forget_files(self.org.pk)
        self.addCleanup(shared.forget_files, self.org.pk)
        self.profile.interests.set([self.cloud])
        self.colleagues = [make_member(self.org, team=self.team) for _ in range(3)]

    def cards(self) -> list[tuple[str, list[str]]]:
        return [(card.item.title, card.reasons) for card in feed_for(self.amy_m)]

    def titles(self) -> list[str]:
        return [title for title, _ in self.cards()]

    def test_a_second_process_maps_the_context_and_ranks_the_same(self) -> None:
        link_for(self.colleagues[0], "linkedin", item=self.cloud_items[1])
        with mock.patch.object(shared, "MAPPED_BYTES", 1):  # map even this small catalogue
            self.assertTrue(feed_for(self.amy_m))
        pointer = shared.current(self.org.pk)
        assert pointer is not None
        feed = shared.load(self.org.pk, pointer["directory"])
        mapped = [
            value
            for value in vars(feed.context.text).values()
            if isinstance(value, np.memmap) or isinstance(getattr(value, "base", None), np.memmap)
        ]
        self.assertTrue(mapped, "the arrays are memory-mapped")
        person = Person(id=str(self.amy_m.pk), team=str(self.team.pk), languages=["en"],
                        topics=["Cloud"])  # fmt: skip
        here = [
            [s.item_id, round(s.score, 6), s.reasons]
            for s in feed.context.rank(
                person, 10, queued_or_shared_by=feed.holding, now=feed.built_at
            )
        ]
        output = subprocess.run(
            [sys.executable, "-c", _SECOND_PROCESS, str(shared.root(self.org.pk).parent),
             str(self.org.pk), pointer["directory"], json.dumps(vars(person))],
            capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        )  # fmt: skip
        self.assertEqual(json.loads(output.stdout), json.loads(json.dumps(here)))
        self.assertTrue(here)

    def test_after_a_cache_reset_the_shared_context_is_mapped_not_rebuilt(self) -> None:
        before = self.cards()
        cache.forget()
        with mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build:
            self.assertEqual(self.cards(), before)
        build.assert_not_called()

    def test_a_colleagues_share_is_learnt_without_a_rebuild_as_a_rebuild_would_rank(self) -> None:
        self.cards()
        with mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build:
            for colleague in self.colleagues:
                link_for(colleague, "linkedin", item=self.cloud_items[0])
            learnt = self.cards()
        build.assert_not_called()
        cache.forget()
        shared.forget_files(self.org.pk)
        self.assertEqual(learnt, self.cards())  # built from scratch
        self.assertTrue(any("colleague" in " ".join(reasons) for _, reasons in learnt))

    def test_only_the_rows_after_those_learnt_are_read_unless_a_share_was_taken_away(
        self,
    ) -> None:
        self.cards()
        with (
            mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build,
            mock.patch.object(live, "org_interactions", wraps=live.org_interactions) as every,
        ):
            link_for(self.colleagues[0], "linkedin", item=self.cloud_items[0])
            share = make_share(self.colleagues[1], self.cloud_items[0], status="scheduled")
            Feedback.objects.create(org=self.org, membership=self.colleagues[2],
                                    item=self.cloud_items[1])  # fmt: skip
            grown = self.cards()
            every.assert_not_called()
            # A share cancelled may be what made its item held: everything is read again.
            share.status = Share.Status.CANCELLED
            share.save()
            make_share(self.colleagues[2], self.cloud_items[1], status="published")
            again = self.cards()
            self.assertEqual(every.call_count, 1)
        build.assert_not_called()
        for learnt in (again, grown):
            cache.forget()
            shared.forget_files(self.org.pk)
            if learnt is grown:  # the rebuild sees what the grown context saw
                share.status = Share.Status.SCHEDULED
                share.save()
                Share.objects.filter(membership=self.colleagues[2]).delete()
            self.assertEqual(learnt, self.cards())

    def test_a_change_to_the_items_rebuilds_and_shares_the_new_context(self) -> None:
        self.cards()
        first = shared.current(self.org.pk)
        self.cloud_items[0].title = "Cloud costs explained again"
        self.cloud_items[0].save()
        self.assertIn("Cloud costs explained again", [title for title, _ in self.cards()])
        second = shared.current(self.org.pk)
        assert first is not None and second is not None
        self.assertNotEqual(first["directory"], second["directory"])

    def test_the_context_lives_in_the_configured_folder(self) -> None:
        self.cards()
        self.assertTrue(str(shared.root(self.org.pk)).startswith(str(settings.CHORUS_FEED_DIR)))

    def test_a_context_past_its_age_is_served_while_the_worker_builds_the_next(self) -> None:
        # A fixed morning: no new day (which ends a context) within the times travelled.
        # The ranking compared by titles: the reasons' "published N hours ago" moves with time.
        start = (timezone.now() + timedelta(days=1)).replace(hour=9, minute=0)
        with time_machine.travel(start, tick=False):
            before = self.titles()
        first = shared.current(self.org.pk)
        assert first is not None
        later = start + cache.MAX_AGE + timedelta(minutes=1)
        with (
            mock.patch.object(live, "build_org_feed", wraps=live.build_org_feed) as build,
            mock.patch.object(cache, "_ask_worker") as ask,
        ):
            with time_machine.travel(later, tick=False):
                self.assertEqual(self.titles(), before)
                self.assertEqual(self.titles(), before)
                build.assert_not_called()  # no request waited for a build
                ask.assert_called_once_with(self.org.pk)  # asked once, not on every request
                self.assertTrue(live.refresh_shared_context(self.org))  # what the worker runs
                self.assertEqual(build.call_count, 1)
                second = shared.current(self.org.pk)
                assert second is not None
                self.assertNotEqual(second["directory"], first["directory"])
                self.assertEqual(self.titles(), before)  # the worker's context, mapped
                self.assertEqual(build.call_count, 1)
                self.assertEqual(ask.call_count, 1)
            # No worker built one within STALE_LIMIT: the request builds it, as before.
            with time_machine.travel(later + cache.STALE_LIMIT, tick=False):
                self.assertEqual(self.titles(), before)
            self.assertEqual(build.call_count, 2)
