"""Test helpers for the health part of results (issue: results that guide)."""

from __future__ import annotations

from typing import Any


def populate(org: Any, member: Any) -> None:
    """One object of each health model in the organisation, for the isolation walk."""
