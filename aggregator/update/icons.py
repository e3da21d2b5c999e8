"""Pure: what one icon check changes, and when to check again. No I/O, ``now`` passed in.

An icon rarely changes, so a blog's is looked at once a week (conditionally,
when the server gave validators); a check the network spoilt is tried again
the next day, keeping the icon that was there.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from aggregator.fetch.icons import IconFetch
from aggregator.models import IconDue, IconUpdate

#: How often a blog's icon is looked at again.
RECHECK = timedelta(days=7)
#: How soon a check that could not reach the blog is tried again.
RETRY = timedelta(days=1)


def decide_icon(due: IconDue, fetched: IconFetch, now: datetime) -> IconUpdate:
    """The store's part of one check of ``due``'s icon."""
    if fetched.result == "failed":
        return IconUpdate(due.source_id, "failed", now, now + RETRY)
    if fetched.result == "unchanged":
        return IconUpdate(
            due.source_id,
            "unchanged",
            now,
            now + RECHECK,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
        )
    image = fetched.image
    if fetched.result == "none" or image is None:
        return IconUpdate(due.source_id, "none", now, now + RECHECK)
    return IconUpdate(
        due.source_id,
        "found",
        now,
        now + RECHECK,
        url=fetched.url,
        content_type=image.content_type,
        body=image.body,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        sha256=hashlib.sha256(image.body).hexdigest(),
    )
