"""`chorus feed-generate --out DIR`: write a simulated organisation as a dataset directory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chorus.feed.dataset import save
from chorus.feed.simulate import generate


class Command(BaseCommand):
    help = "Write a simulated organisation (people, items, past and held-out interactions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Directory to write (created).")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--people", type=int, default=300)
        parser.add_argument("--items", type=int, default=400)

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = generate(options["seed"], options["people"], options["items"])
        root = save(dataset, options["out"])
        self.stdout.write(
            f"{len(dataset.people)} people, {len(dataset.items)} items, "
            f"{len(dataset.train())} past and {len(dataset.test())} held-out interactions "
            f"written to {root}"
        )
