"""Chat tools: Slack workspaces and Teams channels where content is announced, and people's
digests sent by chat instead of e-mail (docs/integrations.md, "Chat tools")."""
