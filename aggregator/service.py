"""Running the service: the one database backoff shared by the cycle and the worker loop."""

from __future__ import annotations


class Backoff:
    """A delay that doubles from ``start`` up to ``cap`` on each failure and resets on success."""

    def __init__(self, start: float = 1.0, cap: float = 60.0) -> None:
        self.start = start
        self.cap = cap
        self.delay = start

    def failed(self) -> float:
        """The delay to wait now; the next one is twice as long, up to the cap."""
        delay = self.delay
        self.delay = min(self.delay * 2, self.cap)
        return delay

    def succeeded(self) -> None:
        self.delay = self.start
