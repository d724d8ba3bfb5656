"""The registry of integrations: which networks Chorus knows, in the order they are shown.

Publishing, engagement sync, the composer, the API, the "My networks" page and its URLs
all ask here; `BUILT_IN` is the one list to extend with a new network's package (see
docs/integrations.md). Tests add a network of their own with `register`/`unregister`.
"""

from __future__ import annotations

from importlib import import_module

from chorus.integrations.base import Client, Credentials, MetricsClient
from chorus.integrations.capabilities import ChatTool, Integration

# Packages under chorus/integrations/, in the order networks are offered. The order is
# also stored: analytics gives each channel a bit by its position (rollups.CHANNEL_BITS),
# so new networks go at the end.
BUILT_IN = ("linkedin", "x", "mastodon", "bluesky", "facebook", "whatsapp", "email")

_integrations: dict[str, Integration] = {}

# Chat tools (Slack, Teams): where Chorus announces content and sends digests; they are not
# networks people share to, so they are listed apart (docs/integrations.md, "Chat tools").
CHAT_TOOLS = ("slack", "teams")

_chat_tools: dict[str, ChatTool] = {}


def register(integration: Integration) -> None:
    """Add a network (at the end); a key can be registered once."""
    if integration.key in _integrations:
        raise ValueError(f"The network {integration.key!r} is already registered.")
    _integrations[integration.key] = integration


def unregister(key: str) -> None:
    """Remove a network (tests that registered one of their own)."""
    _integrations.pop(key, None)


def find(key: str) -> Integration | None:
    """The network with this code, or None."""
    return _integrations.get(key)


def get(key: str) -> Integration:
    """The network with this code; raises LookupError for an unknown one."""
    found = _integrations.get(key)
    if found is None:
        raise LookupError(f"Unknown network: {key}.")
    return found


def integrations() -> list[Integration]:
    """Every network, in order."""
    return list(_integrations.values())


def keys() -> list[str]:
    return list(_integrations)


def choices() -> list[tuple[str, str]]:
    """(code, label) of every network, for forms and model choices."""
    return [(integration.key, integration.label) for integration in _integrations.values()]  # type: ignore[misc]


def default() -> str:
    """The network the composer opens on when the person has none connected."""
    return next(iter(_integrations))


def client_for(network: str) -> Client | None:
    """The client that publishes to this network, or None (share intents only)."""
    found = _integrations.get(network)
    return found.client if found is not None else None


def metrics_client_for(network: str) -> MetricsClient | None:
    """The client that reads posts' counts back from this network, or None."""
    found = _integrations.get(network)
    return found.metrics if found is not None and found.measured() else None


def publishing_networks() -> list[str]:
    """The networks Chorus publishes to through their API."""
    return [key for key, integration in _integrations.items() if integration.publishes]


def measured_networks() -> list[str]:
    """The networks whose counts Chorus reads on this server."""
    return [key for key, integration in _integrations.items() if integration.measured()]


def connectable() -> list[Integration]:
    """The networks a person can connect on this server, in the order of their panels."""
    offered = [
        integration
        for integration in _integrations.values()
        if integration.connect is not None and integration.connect.enabled()
    ]
    return sorted(offered, key=lambda integration: integration.connect.order)  # type: ignore[union-attr]


def with_connect_flow() -> list[Integration]:
    """Every network with a connect flow, offered here or not (their URLs always exist)."""
    return [integration for integration in _integrations.values() if integration.connect]


def callback_networks() -> list[str]:
    """The networks whose connect flow sends the person back to Chorus (OAuth callbacks)."""
    return [
        integration.key
        for integration in _integrations.values()
        if integration.connect is not None and integration.connect.sends_back
    ]


def intent_url(network: str, text: str, url: str, credentials: Credentials | None = None) -> str:
    """The network's share page for this text and link."""
    return get(network).intent(text, url, credentials or {})


def register_chat_tool(tool: ChatTool) -> None:
    """Add a chat tool (at the end); a key can be registered once."""
    if tool.key in _chat_tools:
        raise ValueError(f"The chat tool {tool.key!r} is already registered.")
    _chat_tools[tool.key] = tool


def unregister_chat_tool(key: str) -> None:
    _chat_tools.pop(key, None)


def chat_tools() -> list[ChatTool]:
    """Every chat tool, in order."""
    return list(_chat_tools.values())


def find_chat_tool(key: str) -> ChatTool | None:
    return _chat_tools.get(key)


def chat_tool(key: str) -> ChatTool:
    """The chat tool with this code; raises LookupError for an unknown one."""
    found = _chat_tools.get(key)
    if found is None:
        raise LookupError(f"Unknown chat tool: {key}.")
    return found


def chat_tool_choices() -> list[tuple[str, str]]:
    return [(tool.key, tool.label) for tool in _chat_tools.values()]  # type: ignore[misc]


for _name in BUILT_IN:
    register(import_module(f"chorus.integrations.{_name}").integration)
for _name in CHAT_TOOLS:
    register_chat_tool(import_module(f"chorus.integrations.{_name}").chat_tool)
