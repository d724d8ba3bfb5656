"""What the content hub tells the apps above it, sent inside the change's transaction.

- `item_published(sender, item)`: a content item became published (created so, or its
  status changed); chat announces it.
- `campaign_created(sender, campaign)`: a campaign was created; chat announces it.
"""

from __future__ import annotations

from django.dispatch import Signal

item_published = Signal()
campaign_created = Signal()
