"""`chorus feed-recommend --dataset DIR --k 10`: one JSON line of suggestions per person."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.feed.dataset import DatasetError, load
from chorus.feed.engine import FeedContext


class Command(BaseCommand):
    help = (
        "Rank a dataset directory's items for each person with the live feed's ranking and "
        'allocation code; print {"person": id, "items": [ids, best first]} per line.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dataset", required=True, help="Dataset directory.")
        parser.add_argument("--k", type=int, default=10, help="Items per person (default 10).")
        parser.add_argument(
            "--no-allocation", action="store_true", help="Rank each person independently."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["k"] < 1:
            raise CommandError("--k must be at least 1")
        try:
            dataset = load(options["dataset"])
        except DatasetError as error:
            raise CommandError(str(error)) from None
        context = FeedContext(dataset.people, dataset.items, dataset.train(), dataset.now)
        ranked = context.rank_all(options["k"], allocate=not options["no_allocation"])
        for person in dataset.people:
            items = [suggestion.item_id for suggestion in ranked[person.id]]
            self.stdout.write(json.dumps({"person": person.id, "items": items}))
