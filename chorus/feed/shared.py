"""An organisation's ranking context, written once and memory-mapped by every process.

At 200,000 items the context (`chorus.feed.live.OrgFeed`: TF-IDF rows, item topics,
campaigns, language masks…) weighs gigabytes, and each web process used to build and keep
its own copy: 5.4 GiB per process. It is now written to a directory under
``<CHORUS_FEED_DIR>/<org>/`` by whoever builds it first (the worker, after a change;
a web process only when no current one exists), and every process maps it:

- ``arrays/<n>.npy``: every numpy array of the context of at least `MAPPED_BYTES`, loaded
  with ``np.load(mmap_mode="r")``. The operating system keeps one copy of their pages for
  all the processes of the machine (page cache), read-only: a process that tried to write
  one would fail loudly instead of drifting from the others.
- ``context.pickle``: the rest (item ids, people, small arrays), a few tens of MB, unpickled
  by each process;
- ``../current.json``, replaced atomically after the directory is complete: which directory
  is current and the version it was built for (`chorus.feed.cache`).

Why a memory-mapped file rather than the database or Redis: both would hand every process
its own copy of the bytes (a BYTEA or a Redis string is read into the process), so memory
would still multiply by processes, and reading 1.5 GB from either costs seconds per process;
mapping the files costs milliseconds, pages come in as they are read and are shared. The
catch is that the processes must see the same directory: one machine (the embedded
profile, or several web processes on one host), or ``CHORUS_FEED_DIR`` (default
``<CHORUS_VAR_DIR>/feed``) on a volume they all share when web processes run on several
hosts. A missing or unreadable directory is never fatal: the
process builds the context itself, as before.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import pickle
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

MAPPED_BYTES = 256 * 1024  # smaller arrays stay in the pickle
KEPT_DIRECTORIES = 3  # older contexts are removed, once no process should still read them
POINTER = "current.json"


def root(org_id: int) -> Path:
    """The directory holding the organisation's shared contexts."""
    return Path(settings.CHORUS_FEED_DIR) / str(int(org_id))


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BufferedWriter, arrays: Path):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.arrays = arrays
        self.saved: dict[int, str] = {}
        self.keep: list[np.ndarray] = []  # so that ids are not reused while pickling

    def persistent_id(self, obj: Any) -> str | None:
        if not isinstance(obj, np.ndarray) or obj.nbytes < MAPPED_BYTES or obj.dtype.hasobject:
            return None
        name = self.saved.get(id(obj))
        if name is None:
            name = f"{len(self.saved)}.npy"
            np.save(self.arrays / name, np.ascontiguousarray(obj), allow_pickle=False)
            self.saved[id(obj)] = name
            self.keep.append(obj)
        return name


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BufferedReader, arrays: Path):
        super().__init__(file)
        self.arrays = arrays
        self.loaded: dict[str, np.ndarray] = {}

    def persistent_load(self, pid: Any) -> np.ndarray:
        name = str(pid)
        if name not in self.loaded:
            mapped = np.load(self.arrays / name, mmap_mode="r", allow_pickle=False)
            # A plain array over the mapped pages: `np.memmap` adds Python work to every
            # indexing (40,000 scalar reads cost 160 ms when learning a share).
            self.loaded[name] = np.asarray(mapped)
        return self.loaded[name]


def save(org_id: int, feed: Any, version: dict[str, Any]) -> str:
    """Write the context to a new directory, then make it the current one; return its name."""
    base = root(org_id)
    name = uuid.uuid4().hex
    building = base / f".{name}"
    (building / "arrays").mkdir(parents=True)
    try:
        with (building / "context.pickle").open("wb") as handle:
            _Pickler(handle, building / "arrays").dump(feed)
        os.replace(building, base / name)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    pointer = base / f".{POINTER}.{name}"
    pointer.write_text(json.dumps({"directory": name, **version}))
    os.replace(pointer, base / POINTER)
    _prune(base, keep=name)
    return name


def current(org_id: int) -> dict[str, Any] | None:
    """What the organisation's pointer says (directory and version), or None."""
    try:
        found = json.loads((root(org_id) / POINTER).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and "directory" in found else None


def load(org_id: int, directory: str) -> Any:
    """Map a context written by `save` (its large arrays shared, read-only)."""
    path = root(org_id) / directory
    with (path / "context.pickle").open("rb") as handle:
        return _Unpickler(handle, path / "arrays").load()


@contextmanager
def building(org_id: int) -> Iterator[None]:
    """Hold the organisation's build lock: one build at a time across processes."""
    base = root(org_id)
    base.mkdir(parents=True, exist_ok=True)
    with (base / "build.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prune(base: Path, keep: str) -> None:
    """Remove all but the newest directories (a process still mapping one keeps its pages:
    the files are unlinked, not truncated)."""
    directories = sorted(
        (path for path in base.iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
        reverse=True,
    )
    for path in directories[KEPT_DIRECTORIES:]:
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def forget_files(org_id: int) -> None:
    """Remove the organisation's shared contexts (tests)."""
    shutil.rmtree(root(org_id), ignore_errors=True)
