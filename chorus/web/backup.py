"""Backups of the embedded profile: a consistent copy taken while Chorus serves, and its restore.

A backup is a directory (`chorus backup PATH`):

- `clicks/` — the click journal's files, each cut at its last complete line. They are copied
  *before* the database, so every click journaled before the backup began is either in the
  copied database or in a copied file: after a restore, the worker ingests the files from
  the cursors saved in the database (a line already ingested counts once: event ids are
  unique). Clicks journaled while the backup ran may or may not be in it; none is counted
  twice.
- `chorus.sqlite3`, `huey.sqlite3` — SQLite's online backup API: a snapshot of one moment,
  taken while the web processes and the worker keep writing (WAL lets them).
- `secret_key` — the key the embedded profile keeps in CHORUS_VAR_DIR: sessions, and the
  social tokens encrypted with it when CHORUS_ENCRYPTION_KEYS is not set.
- `media/` — uploaded files (organisation logos…).
- `manifest.json` — what was copied, with sizes and SHA-256 digests, checked by restore.

Left out, since Chorus rebuilds them: collected static files and the shared feed contexts.
Left out, since they are configuration: the environment and `.env` — back up
CHORUS_ENCRYPTION_KEYS and SECRET_KEY with it when they are set there.

The scale-out profile (PostgreSQL, Redis) is backed up with the database's tools:
docs/deploy.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings

FORMAT = 1
MANIFEST = "manifest.json"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


def embedded_only() -> None:
    """Refuse outside the embedded profile (SQLite database, file click journal)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if (
        engine != "django.db.backends.sqlite3"
        or settings.CHORUS_CLICK_JOURNAL != "file"
        or settings.REDIS_URL
    ):
        raise BackupError(
            "chorus backup and restore cover the embedded profile (SQLite and files under "
            "CHORUS_VAR_DIR). This instance runs on PostgreSQL or Redis: back it up with "
            "pg_dump as docs/deploy.md describes (section Backups)."
        )


def _locations() -> dict[str, Path]:
    return {
        "database": Path(settings.DATABASES["default"]["NAME"]),
        "huey": Path(str(settings.HUEY["filename"])),
        "clicks": Path(settings.CHORUS_CLICK_JOURNAL_DIR),
        "secret_key": Path(settings.VAR_DIR) / "secret_key",
        "media": Path(settings.MEDIA_ROOT),
    }


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (the online backup API, in one step)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step, under one read transaction: one moment
    finally:
        dst.close()
        src.close()


def _journal_copy(source: Path, target: Path) -> None:
    """Copy the journal files, each up to its last newline (a line being written is left)."""
    target.mkdir()
    for path in sorted(source.glob("*.jsonl")) if source.is_dir() else []:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # ingested and deleted meanwhile: its clicks are stored
            continue
        (target / path.name).write_bytes(data[: data.rfind(b"\n") + 1])


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(destination: Path) -> dict[str, Any]:
    """Write a backup of this instance to `destination` (a new directory); its manifest.

    Written to `<destination>.partial` first and renamed at the end: a directory with the
    final name is a complete backup.
    """
    embedded_only()
    if destination.exists():
        raise BackupError(f"{destination} exists already: give the name of a new directory.")
    places = _locations()
    if not places["database"].exists():
        raise BackupError(f"No database at {places['database']}: nothing to back up.")
    partial = destination.with_name(destination.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        _journal_copy(places["clicks"], partial / "clicks")  # before the database: see above
        _sqlite_copy(places["database"], partial / "chorus.sqlite3")
        if places["huey"].exists():
            _sqlite_copy(places["huey"], partial / "huey.sqlite3")
        if places["secret_key"].exists():
            shutil.copy2(places["secret_key"], partial / "secret_key")
        if places["media"].is_dir():
            shutil.copytree(places["media"], partial / "media")
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "files": {
                str(path.relative_to(partial)): {
                    "size": path.stat().st_size,
                    "sha256": _digest(path),
                }
                for path in _files(partial)
            },
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2))
        os.replace(partial, destination)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def _checked_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{source} is not a Chorus backup (no readable {MANIFEST}).") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is a backup of another format ({manifest.get('format')}).")
    for name, expected in manifest["files"].items():
        path = source / name
        if not path.is_file() or _digest(path) != expected["sha256"]:
            raise BackupError(f"{path} is missing or damaged: this backup cannot be restored.")
    if "chorus.sqlite3" not in manifest["files"]:
        raise BackupError(f"{source} holds no database.")
    return manifest


def restore(source: Path) -> dict[str, Any]:
    """Put a backup in the places this instance's settings name (a new CHORUS_VAR_DIR, or
    one whose database was moved away). Refuses to overwrite a database; checks every file
    against the manifest before copying anything."""
    embedded_only()
    manifest = _checked_manifest(source)
    places = _locations()
    for path in (places["database"], Path(f"{places['database']}-wal")):
        if path.exists():
            raise BackupError(
                f"A database exists at {path}. Restore into a new CHORUS_VAR_DIR, or stop "
                "Chorus and move the old one away first."
            )
    journal = places["clicks"]
    if journal.is_dir() and any(journal.glob("*.jsonl")):
        raise BackupError(f"{journal} holds click journal files: restore into a new directory.")
    places["database"].parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source / "chorus.sqlite3", places["database"])
    if (source / "huey.sqlite3").exists():
        places["huey"].parent.mkdir(parents=True, exist_ok=True)
        places["huey"].unlink(missing_ok=True)  # an empty queue made by loading the settings
        _sqlite_copy(source / "huey.sqlite3", places["huey"])
    journal.mkdir(parents=True, exist_ok=True)
    for path in sorted((source / "clicks").glob("*.jsonl")):
        shutil.copy2(path, journal / path.name)
    if (source / "secret_key").exists():
        # Loading the settings may have made a new key here; the backup's is the one its
        # sessions and encrypted tokens need.
        places["secret_key"].parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "secret_key", places["secret_key"])
        places["secret_key"].chmod(0o600)
    if (source / "media").is_dir():
        shutil.copytree(source / "media", places["media"], dirs_exist_ok=True)
    return manifest
