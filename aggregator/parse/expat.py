"""A SAX driver for feedparser: the standard expat reader, with its character data buffered.

Unbuffered, expat reports text in a piece per line and per entity, and an entry's
escaped HTML (``&lt;p&gt;…``) is thousands of pieces, each a call into feedparser's
pure-Python handler: half of a feed's parse time. Buffered, it is one call per text
node. The text feedparser joins is the same: SAX allows any split (``characters``).
"""

from __future__ import annotations

from typing import Any
from xml.sax.expatreader import ExpatParser

#: Characters buffered before expat hands them over; more than most entries hold.
BUFFER_SIZE = 1 << 16


class BufferedExpatParser(ExpatParser):
    """``ExpatParser`` whose expat parser buffers character data."""

    def reset(self) -> None:
        super().reset()
        parser = self._parser  # type: ignore[attr-defined]  # set by reset, untyped
        parser.buffer_text = True
        parser.buffer_size = BUFFER_SIZE


def create_parser(*args: Any, **kwargs: Any) -> BufferedExpatParser:
    """The entry point ``xml.sax.make_parser`` calls on a driver module."""
    return BufferedExpatParser(*args, **kwargs)
