"""The colleagues' index of an item is kept and grown as shares arrive, with the answers of
an index rebuilt from every stored signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chorus.sharing import share_check
from chorus.sharing.models import Share
from chorus.sharing.originality import NearDuplicateIndex, check, signature
from tests.base import OrgTestCase
from tests.factory import make_item, make_member, make_share

NOW = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)
CAPTION = "Our new plant in Lyon runs on solar power, a first in the region for the whole group."
TEXTS = [
    CAPTION,
    CAPTION + " Proud of the team!",
    "Proud of the team! " + CAPTION,
    "I toured the plant last week with our engineers: the control room is a marvel.",
    "Solar power in Lyon, a first in the region: read about our new plant.",
    "Our new plant in Lyon runs on solar power.",
    "Nothing to do with it at all, just a personal note about my bike ride.",
]
QUERIES = [CAPTION, "Proud of the team! Our new plant in Lyon runs on solar power.", TEXTS[3]]


def rebuilt(item, membership) -> NearDuplicateIndex[int]:  # type: ignore[no-untyped-def]
    """The index as it used to be built for every request, from every stored signature."""
    shares = Share.objects.filter(
        org_id=item.org_id,
        item=item,
        signature__isnull=False,
        created_at__gte=timezone.now() - share_check.RECENT,
    ).exclude(status__in=[Share.Status.CANCELLED, Share.Status.DRAFT])
    if membership is not None:
        shares = shares.exclude(membership=membership)
    return NearDuplicateIndex.from_signatures(
        (pk, bytes(value)) for pk, value in shares.values_list("pk", "signature")
    )


@time_machine.travel(NOW, tick=False)
class ColleaguesIndexTests(OrgTestCase):
    def setUp(self) -> None:
        share_check.forget()
        self.addCleanup(share_check.forget)
        self.item = make_item(self.org, title="Solar plant opens")
        self.colleagues = [make_member(self.org) for _ in range(4)]

    def share(self, member, text: str, **fields) -> Share:  # type: ignore[no-untyped-def]
        fields.setdefault("status", Share.Status.SCHEDULED)
        return make_share(member, self.item, text=text, signature=signature(text), **fields)

    def assertSameAnswers(self) -> None:
        for membership in (self.amy_m, self.colleagues[0], None):
            kept = share_check.colleagues_index(self.item, membership)
            fresh = rebuilt(self.item, membership)
            self.assertEqual(len(kept), len(fresh))
            for query in QUERIES:
                # Equal scores may come in another order: nothing the composer shows.
                self.assertEqual(
                    sorted(kept.query(query, threshold=0.0), key=lambda m: (-m[1], m[0])),
                    sorted(fresh.query(query, threshold=0.0), key=lambda m: (-m[1], m[0])),
                    query,
                )
                self.assertEqual(check(query, [], kept), check(query, [], fresh))

    def test_the_index_after_each_share_equals_one_rebuilt_from_scratch(self) -> None:
        self.assertSameAnswers()
        for n, text in enumerate(TEXTS):
            self.share(self.colleagues[n % 4], text)
            self.assertSameAnswers()
        built = share_check._kept[self.item.pk].built
        self.share(self.amy_m, CAPTION)
        self.assertSameAnswers()
        # Grown, not rebuilt.
        self.assertEqual(share_check._kept[self.item.pk].built, built)
        self.assertGreater(share_check.colleagues_index(self.item, None).query(CAPTION)[0][1], 0.99)

    def test_changes_made_by_another_process_are_seen(self) -> None:
        """Writes that send no signal here (bulk, update(), another process) move the stamp."""
        first = self.share(self.colleagues[0], TEXTS[0])
        edited = self.share(self.colleagues[1], TEXTS[3])
        self.assertSameAnswers()
        built = share_check._kept[self.item.pk].built
        # Another process adds shares...
        Share.objects.bulk_create(
            Share(
                org=self.org, membership=member, item=self.item, network="x", text=text,
                signature=signature(text), status=Share.Status.PUBLISHED,
            )
            for member, text in zip(self.colleagues[2:], TEXTS[1:3], strict=True)
        )  # fmt: skip
        # No signal here: seen when the stamp is read again, `STAMP_SECONDS` later at most.
        with time_machine.travel(NOW + timedelta(seconds=share_check.STAMP_SECONDS), tick=False):
            self.assertSameAnswers()
        # ...cancels one, edits another (its text replaced), drafts a third.
        with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
            Share.objects.filter(pk=first.pk).update(
                status=Share.Status.CANCELLED, updated_at=timezone.now()
            )
            Share.objects.filter(pk=edited.pk).update(
                text=TEXTS[1], signature=signature(TEXTS[1]), updated_at=timezone.now()
            )
            self.share(self.colleagues[3], TEXTS[2], status=Share.Status.DRAFT)
            self.assertSameAnswers()
            self.assertEqual(share_check._kept[self.item.pk].built, built)

    def test_a_warm_check_reads_no_share_and_a_change_marked_elsewhere_is_seen_at_once(
        self,
    ) -> None:
        self.share(self.colleagues[0], TEXTS[0])
        self.assertSameAnswers()
        with CaptureQueriesContext(connection) as queries:
            share_check.colleagues_index(self.item, self.colleagues[1]).query(CAPTION)
        # At most the cache's key (the cache may be a database table), never the shares.
        self.assertLessEqual(len(queries), 1)
        self.assertNotIn("sharing_share", " ".join(q["sql"] for q in queries.captured_queries))
        # Another process saves a share: no signal here, but its receiver marks the item
        # in the shared cache (Redis when scaling out), so the next check reads the stamp.
        added = Share.objects.bulk_create([Share(
            org=self.org, membership=self.colleagues[1], item=self.item, network="x",
            text=TEXTS[1], signature=signature(TEXTS[1]), status=Share.Status.PUBLISHED,
        )])[0]  # fmt: skip
        self.assertNotIn(
            added.pk, dict(share_check.colleagues_index(self.item, None).query(CAPTION))
        )
        cache.set(share_check._CHANGED_KEY.format(self.item.pk), "saved by another process")
        self.assertIn(added.pk, dict(share_check.colleagues_index(self.item, None).query(CAPTION)))
        self.assertSameAnswers()

    def test_deleted_anonymised_and_old_shares(self) -> None:
        old = self.share(self.colleagues[0], TEXTS[0])
        Share.objects.filter(pk=old.pk).update(
            created_at=NOW - share_check.RECENT + timedelta(hours=1)
        )
        gone = self.share(self.colleagues[1], TEXTS[1])
        mine = self.share(self.amy_m, TEXTS[2])
        self.share(self.colleagues[2], TEXTS[4])
        self.assertSameAnswers()
        Share.objects.filter(pk=gone.pk).delete()
        self.assertSameAnswers()
        # Amy left and asked for her shares to be anonymised: they are her colleagues' now.
        Share.objects.filter(pk=mine.pk).update(membership=None)  # no signal: seen with the stamp
        with time_machine.travel(NOW + timedelta(seconds=share_check.STAMP_SECONDS), tick=False):
            self.assertSameAnswers()
        # Two hours later the old share is past the window.
        with time_machine.travel(NOW + timedelta(hours=2), tick=False):
            self.assertSameAnswers()
            self.assertNotIn(old.pk, dict(share_check.colleagues_index(self.item, None).query(
                TEXTS[0], threshold=0.0)))  # fmt: skip

    def test_the_api_check_counts_colleagues_copies_but_not_ones_own(self) -> None:
        self.share(self.amy_m, CAPTION)
        self.assertEqual(share_check.run(self.item, "x", CAPTION, self.amy_m).near_duplicates, 0)
        self.share(self.colleagues[0], CAPTION)
        self.share(self.colleagues[1], CAPTION + " Proud of the team!")
        self.assertEqual(share_check.run(self.item, "x", CAPTION, self.amy_m).near_duplicates, 2)
        self.assertEqual(
            share_check.run(self.item, "x", CAPTION, self.colleagues[0]).near_duplicates, 2
        )
