"""`chorus feed-eval`: the Chorus ranker against recency and popularity, offline."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from chorus.feed.dataset import DatasetError, load
from chorus.feed.evaluate import evaluate_all
from chorus.feed.simulate import generate

METRICS = ("ndcg", "recall", "coverage", "reach")


class Command(BaseCommand):
    help = (
        "Evaluate the Chorus ranker and two baselines (recency, popularity) on simulated "
        "organisations (one per seed) or on a dataset directory: NDCG@k, recall@k, "
        "catalogue coverage and expected unique reach."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
        parser.add_argument("--people", type=int, default=300)
        parser.add_argument("--items", type=int, default=400)
        parser.add_argument("--dataset", help="Evaluate this dataset directory instead.")
        parser.add_argument("--k", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="Print one JSON document.")

    def handle(self, *args: Any, **options: Any) -> None:
        k = options["k"]
        runs: list[tuple[str, dict[str, dict[str, float]]]] = []
        started = time.perf_counter()
        if options["dataset"]:
            try:
                datasets = [(options["dataset"], load(options["dataset"]))]
            except DatasetError as error:
                raise CommandError(str(error)) from None
        else:
            datasets = [
                (f"seed {seed}", generate(seed, options["people"], options["items"]))
                for seed in options["seeds"]
            ]
        for label, dataset in datasets:
            metrics = evaluate_all(dataset, k)
            runs.append((label, {name: m.as_dict() for name, m in metrics.items()}))
        rankers = list(runs[0][1])
        average = {
            name: {m: float(np.mean([run[name][m] for _, run in runs])) for m in METRICS}
            for name in rankers
        }
        ratios = {
            f"chorus/{baseline}": {
                m: average["chorus"][m] / average[baseline][m] if average[baseline][m] else None
                for m in METRICS
            }
            for baseline in rankers
            if baseline != "chorus"
        }
        if options["json"]:
            document = {
                "k": k,
                "runs": [{"dataset": label, "metrics": run} for label, run in runs],
                "average": average,
                "ratios": ratios,
            }
            self.stdout.write(json.dumps(document, indent=2))
            return
        header = f"{'dataset':<12} {'ranker':<11} {'NDCG@' + str(k):>8} {'recall@' + str(k):>9}"
        header += f" {'coverage':>9} {'reach':>10}"
        self.stdout.write(header)
        for label, run in [*runs, ("average", average)]:
            for name in rankers:
                values = run[name]
                self.stdout.write(
                    f"{label:<12} {name:<11} {values['ndcg']:>8.3f} {values['recall']:>9.3f}"
                    f" {values['coverage']:>9.3f} {values['reach']:>10.0f}"
                )
        for name, ratio in ratios.items():
            shown = "  ".join(
                f"{m} {value:.2f}x" if value is not None else f"{m} n/a"
                for m, value in ratio.items()
            )
            self.stdout.write(f"{name:<19} {shown}")
        self.stdout.write(f"({time.perf_counter() - started:.1f} s)")
