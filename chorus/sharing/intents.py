"""Share intents: the network's own share page, opened on the person's device."""

from __future__ import annotations

from urllib.parse import quote, urlencode

# Networks whose intent takes only the URL: the person's text goes to the clipboard.
URL_ONLY = frozenset({"linkedin", "facebook"})


def intent_url(network: str, text: str, url: str, *, instance: str = "") -> str:
    if network == "linkedin":
        return "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url})
    if network == "facebook":
        return "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url})
    if network == "x":
        # The link is already in the text; X shortens it and counts it as 23.
        return "https://x.com/intent/tweet?" + urlencode({"text": text})
    if network == "bluesky":
        return "https://bsky.app/intent/compose?" + urlencode({"text": text})
    if network == "mastodon":
        host = instance or "https://mastodon.social"
        return f"{host.rstrip('/')}/share?" + urlencode({"text": text})
    if network == "whatsapp":
        return "https://wa.me/?" + urlencode({"text": text})
    if network == "email":
        # RFC 6068: percent-encoded, CRLF line breaks.
        body = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return f"mailto:?body={quote(body, safe='')}"
    raise ValueError(f"No share intent for {network}.")
