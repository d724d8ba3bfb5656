"""What the person is told when a share or a connection needs them (notify stores it, on
the `attention_needed` signal)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from chorus.sharing.models import Connection, Review, Share
from chorus.sharing.signals import attention_needed

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
    attention_needed.send(
        Share,
        membership=share.membership,
        kind="share",
        message=lambda: (
            _("Your %(network)s post was not published. %(advice)s")
            % {"network": network, "advice": advice(share.error_code)}
        ),
        url=url,
    )


def notify_expiring(connection: Connection) -> None:
    from django.utils import formats

    network = connection.get_network_display()
    when = (
        formats.date_format(connection.expires_at, "DATE_FORMAT") if connection.expires_at else ""
    )
    attention_needed.send(
        Connection,
        membership=connection.membership,
        kind="connection",
        message=lambda: (
            _("Your %(network)s connection expires on %(date)s: reconnect it in one step.")
            % {"network": network, "date": when}
        ),
        url=reverse("connections", kwargs={"org": connection.org.slug}),
    )


def notify_review_decision(review: Review) -> None:
    """Tell the author what the reviewer decided, with the note or the reason."""
    share = review.share
    if share.membership is None:
        return
    network = share.get_network_display()
    url = reverse("share_queue", kwargs={"org": share.org.slug})
    note = review.note

    def message() -> str:
        if review.decision == Review.Decision.DECLINED:
            text = _("Your %(network)s post was declined in review: %(note)s")
        elif review.decision == Review.Decision.EDITED:
            text = _("Your %(network)s post was approved with edits: %(note)s")
        else:
            text = _("Your %(network)s post was approved.")
        return text % {"network": network, "note": note}

    attention_needed.send(
        Share, membership=share.membership, kind="share", message=message, url=url
    )
