"""Notifications to people, gated by the programme's opt-in rule."""
