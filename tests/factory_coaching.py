"""Test helpers for the coaching part of results (issue: results that guide)."""

from __future__ import annotations

from typing import Any


def populate(org: Any, member: Any) -> None:
    """One object of each coaching model in the organisation, for the isolation walk."""
