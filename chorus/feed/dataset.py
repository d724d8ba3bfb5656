"""Read and write the feed's offline dataset: a directory of JSON Lines files.

The format is documented in docs/feed-dataset.md. Every error names the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chorus.feed.engine import INTERACTION_KINDS, Interaction, Item, Person

PEOPLE, ITEMS, INTERACTIONS, META, HIDDEN = (
    "people.jsonl",
    "items.jsonl",
    "interactions.jsonl",
    "meta.json",
    "hidden.json",
)


class DatasetError(ValueError):
    """A dataset file is missing or wrong; the message says which file and line."""


@dataclass
class Dataset:
    """An organisation at a moment: people, items, interactions, and `now`.

    Interactions at or before `now` are the past a ranker may learn from (`train`); those
    after it are held out to evaluate rankers (`test`). `hidden` holds a simulator's ground
    truth when there is one (never given to a ranker).
    """

    people: list[Person]
    items: list[Item]
    interactions: list[Interaction]
    now: datetime
    hidden: dict[str, Any] | None = field(default=None, repr=False)

    def train(self) -> list[Interaction]:
        """Interactions up to `now`: what rankers may see."""
        return [i for i in self.interactions if i.at <= self.now]

    def test(self) -> list[Interaction]:
        """Interactions after `now`: held out for evaluation."""
        return [i for i in self.interactions if i.at > self.now]


def _timestamp(value: Any, where: str, name: str) -> datetime:
    if not isinstance(value, str):
        raise DatasetError(f"{where}: {name} must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DatasetError(f"{where}: {name} is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise DatasetError(f"{where}: {name} needs a time zone (e.g. 'Z' or '+01:00'): {value!r}")
    return parsed


def _string(record: dict, key: str, where: str, required: bool = True) -> str:
    value = record.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value):
        raise DatasetError(f"{where}: {key} must be a non-empty string")
    return value


def _strings(record: dict, key: str, where: str) -> list[str]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DatasetError(f"{where}: {key} must be a list of strings")
    return value


def _lines(path: Path) -> Iterator[tuple[str, dict]]:
    if not path.is_file():
        raise DatasetError(f"{path}: file is missing")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path.name}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise DatasetError(f"{where}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise DatasetError(f"{where}: each line must be a JSON object")
            yield where, record


def _person(record: dict, where: str) -> Person:
    size = record.get("audience_size", 0)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise DatasetError(f"{where}: audience_size must be a non-negative integer")
    return Person(
        id=_string(record, "id", where),
        team=_string(record, "team", where, required=False),
        site=_string(record, "site", where, required=False),
        languages=_strings(record, "languages", where),
        topics=_strings(record, "topics", where),
        networks=_strings(record, "networks", where),
        audience=_strings(record, "audience", where),
        audience_size=size,
        writings=_strings(record, "writings", where),
    )


def _item(record: dict, where: str) -> Item:
    priority = record.get("campaign_priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not 0 <= priority <= 5:
        raise DatasetError(f"{where}: campaign_priority must be an integer from 0 to 5")
    return Item(
        id=_string(record, "id", where),
        title=_string(record, "title", where),
        summary=_string(record, "summary", where, required=False),
        language=_string(record, "language", where, required=False),
        topics=_strings(record, "topics", where),
        published_at=_timestamp(record.get("published_at"), where, "published_at"),
        campaign_priority=priority,
        kind=_string(record, "kind", where, required=False) or "article",
        campaign_teams=_strings(record, "campaign_teams", where),
        campaign_networks=_strings(record, "campaign_networks", where),
        campaign_personas=_strings(record, "campaign_personas", where),
    )


def _unique(records: list, path: str, wheres: list[str]) -> dict[str, int]:
    seen: dict[str, int] = {}
    for position, (record, where) in enumerate(zip(records, wheres, strict=True)):
        if record.id in seen:
            raise DatasetError(f"{where}: duplicate id {record.id!r} in {path}")
        seen[record.id] = position
    return seen


def _read(path: Path, build: Callable[[dict, str], Any]) -> tuple[list, list[str]]:
    records, wheres = [], []
    for where, record in _lines(path):
        records.append(build(record, where))
        wheres.append(where)
    return records, wheres


def load(directory: str | Path) -> Dataset:
    """Load and validate a dataset directory; raise DatasetError naming the file and line."""
    root = Path(directory)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a directory")
    meta_path = root / META
    if not meta_path.is_file():
        raise DatasetError(f"{meta_path}: file is missing")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise DatasetError(f"{META}: not valid JSON ({error.msg})") from None
    if not isinstance(meta, dict):
        raise DatasetError(f'{META}: must be a JSON object like {{"now": "..."}}')
    now = _timestamp(meta.get("now"), META, "now")

    people, people_where = _read(root / PEOPLE, _person)
    items, items_where = _read(root / ITEMS, _item)
    person_ids = _unique(people, PEOPLE, people_where)
    item_ids = _unique(items, ITEMS, items_where)
    interactions = []
    for where, record in _lines(root / INTERACTIONS):
        person, item = _string(record, "person", where), _string(record, "item", where)
        kind = _string(record, "kind", where)
        if person not in person_ids:
            raise DatasetError(f"{where}: unknown person {person!r} (not in {PEOPLE})")
        if item not in item_ids:
            raise DatasetError(f"{where}: unknown item {item!r} (not in {ITEMS})")
        if kind not in INTERACTION_KINDS:
            raise DatasetError(f"{where}: kind must be one of {', '.join(INTERACTION_KINDS)}")
        interactions.append(
            Interaction(person, item, kind, _timestamp(record.get("at"), where, "at"))
        )

    hidden = None
    if (root / HIDDEN).is_file():
        hidden = json.loads((root / HIDDEN).read_text(encoding="utf-8"))
    return Dataset(people, items, interactions, now, hidden)


def save(dataset: Dataset, directory: str | Path) -> Path:
    """Write a dataset directory (creating it); `hidden` goes to hidden.json when present."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)

    def write(name: str, rows: list[dict]) -> None:
        with (root / name).open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")

    write(PEOPLE, [
        {"id": p.id, "team": p.team, "site": p.site, "languages": p.languages,
         "topics": p.topics, "networks": p.networks, "audience": p.audience,
         "audience_size": p.audience_size}
        | ({"writings": p.writings} if p.writings else {})
        for p in dataset.people
    ])  # fmt: skip
    write(ITEMS, [
        {"id": i.id, "title": i.title, "summary": i.summary, "language": i.language,
         "topics": i.topics, "published_at": i.published_at.isoformat(),
         "campaign_priority": i.campaign_priority, "kind": i.kind}
        | ({"campaign_teams": i.campaign_teams} if i.campaign_teams else {})
        | ({"campaign_networks": i.campaign_networks} if i.campaign_networks else {})
        | ({"campaign_personas": i.campaign_personas} if i.campaign_personas else {})
        for i in dataset.items
    ])  # fmt: skip
    write(INTERACTIONS, [
        {"person": x.person, "item": x.item, "kind": x.kind, "at": x.at.isoformat()}
        for x in dataset.interactions
    ])  # fmt: skip
    (root / META).write_text(json.dumps({"now": dataset.now.isoformat()}) + "\n", encoding="utf-8")
    if dataset.hidden is not None:
        (root / HIDDEN).write_text(json.dumps(dataset.hidden), encoding="utf-8")
    return root
