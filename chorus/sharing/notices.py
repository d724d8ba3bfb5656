"""What the person is told when a share or a connection needs them."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from chorus.notify.actions import notify
from chorus.notify.models import Notification
from chorus.sharing.models import Connection, Share

# Plain words per error code; the person sees these, not the network's jargon.
ADVICE = {
    "reconnect": lambda: _("Reconnect the network, then publish again."),
    "too_long": lambda: _("The text is too long for this network: shorten it and try again."),
    "duplicate": lambda: _(
        "The network refused a post identical to an earlier one: change the text."
    ),
    "forbidden": lambda: _("The network refused the post: reconnect and allow posting."),
    "unknown_outcome": lambda: _(
        "We could not tell whether the post went out: check your profile on the network, then "
        "confirm or cancel it in your queue."
    ),
}


def advice(code: str) -> str:
    found = ADVICE.get(code)
    return found() if found else _("Open your queue to see what happened.")


def notify_share_problem(share: Share) -> None:
    if share.membership is None:
        return
    network = share.get_network_display()
    url = reverse("share_queue", kwargs={"org": share.org.slug})
    notify(
        share.membership,
        Notification.Kind.SHARE,
        lambda: (
            _("Your %(network)s post was not published. %(advice)s")
            % {"network": network, "advice": advice(share.error_code)}
        ),
        url,
    )


def notify_expiring(connection: Connection) -> None:
    from django.utils import formats

    network = connection.get_network_display()
    when = (
        formats.date_format(connection.expires_at, "DATE_FORMAT") if connection.expires_at else ""
    )
    notify(
        connection.membership,
        Notification.Kind.CONNECTION,
        lambda: (
            _("Your %(network)s connection expires on %(date)s: reconnect it in one step.")
            % {"network": network, "date": when}
        ),
        reverse("connections", kwargs={"org": connection.org.slug}),
    )
