"""The worker's side of chat: each queued message sent at once after its commit, and a sweep
every minute for the ones waiting for a retry (or queued while the worker was away)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from chorus.chat import delivery
from chorus.lib.locks import lease_task


@db_task()
def send_chat_message(message_id: int) -> None:
    delivery.send(message_id)


@db_periodic_task(crontab(minute="*"))
@lease_task("send-chat-messages", every=60)
def send_due_chat_messages() -> None:
    delivery.send_due()
