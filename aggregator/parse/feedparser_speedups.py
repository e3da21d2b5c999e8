"""Three of feedparser's pure helpers made cheap, with the same results.

feedparser joins the current base URL with the element's ``xml:base`` (or with
itself) on every start tag, and deep-copies a small dict of content parameters
for every title, summary and content: about a seventh of the instructions a feed's
parse takes, spent on the same few strings again and again. Joins are memoized (they
depend on their two arguments only) and a dict holding only strings is copied in one
pass. Its dict looks up every key through five comparisons and its alias map; a key
that is neither special nor an alias is now looked up directly. The stored-equality
tests hold the output to what plain feedparser gives.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import feedparser.mixin
import feedparser.urls
from feedparser.util import FeedParserDict

#: Distinct (base, URL) pairs remembered: a feed has a handful; a refresh, a few per feed.
JOINS_REMEMBERED = 4096

_ATOMIC = (str, int, bool, type(None))


def _deepcopy(self: FeedParserDict, memo: dict[int, Any]) -> FeedParserDict:
    """What ``copy.deepcopy`` does for a dict subclass, with atomic values taken as they are."""
    copied = FeedParserDict()
    memo[id(self)] = copied
    if vars(self):
        vars(copied).update(copy.deepcopy(vars(self), memo))
    for key, value in self.items():
        # Through __setitem__, as copy's own reconstruction does (it maps some keys).
        if type(value) in _ATOMIC and type(key) is str:
            copied[key] = value
        else:
            copied[copy.deepcopy(key, memo)] = copy.deepcopy(value, memo)
    return copied


_PLAIN_GETITEM = FeedParserDict.__getitem__
#: The keys FeedParserDict.__getitem__ treats specially: aliases, and those it computes.
_NOT_PLAIN = frozenset(FeedParserDict.keymap) | {
    "category",
    "enclosures",
    "license",
    "updated",
    "updated_parsed",
}


def _getitem(self: FeedParserDict, key: Any) -> Any:
    """``FeedParserDict.__getitem__``: any other key is the dict's own."""
    if key in _NOT_PLAIN:
        return _PLAIN_GETITEM(self, key)
    return dict.__getitem__(self, key)


_getitem.__wrapped__ = _PLAIN_GETITEM  # type: ignore[attr-defined]


def install() -> None:
    """Put the memoized joins, the copy and the lookup in place; calling it again changes
    nothing."""
    if hasattr(feedparser.urls._urljoin, "cache_info"):  # already memoized
        return
    join = functools.lru_cache(JOINS_REMEMBERED)(feedparser.urls._urljoin)
    safe = functools.lru_cache(JOINS_REMEMBERED)(feedparser.urls.make_safe_absolute_uri)
    # make_safe_absolute_uri looks _urljoin up in its module; the mixin imported both.
    feedparser.urls._urljoin = join
    feedparser.mixin._urljoin = join
    feedparser.mixin.make_safe_absolute_uri = safe
    FeedParserDict.__deepcopy__ = _deepcopy
    FeedParserDict.__getitem__ = _getitem
