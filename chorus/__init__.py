"""Chorus: an open-source, self-hostable employee advocacy platform."""
