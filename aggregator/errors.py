"""Every error aggregator raises on purpose, with a message a user can act on.

::

    AggregatorError
    ├── ConfigError          the config file or environment is wrong
    ├── StoreError           the database cannot be opened or migrated
    ├── BlogrollError        the blogroll file cannot be read
    ├── PostError            one of the owner's posts cannot be read
    ├── PublishError         the site cannot be written
    └── SourceError          one source failed; recorded on that source, never fatal
        ├── FetchError       the HTTP exchange failed
        │   ├── FetchTimeout
        │   ├── NetworkError
        │   ├── HTTPStatusError
        │   ├── RedirectError      a loop, too many hops, a bad Location
        │   ├── AddressRefused     the SSRF guard refused the resolved address
        │   └── ResponseTooLarge
        └── ParseError       the response is not a feed we can read

``SourceError.kind`` is the short name stored on the source and shown by
``aggregator status`` (``timeout``, ``network``, ``http``, ``redirect``, ``refused``,
``too_large``, ``parse``).
"""

from __future__ import annotations


class AggregatorError(Exception):
    """Root of the tree; ``str(error)`` is the message shown to the user."""


class ConfigError(AggregatorError):
    """The configuration cannot be used."""


class StoreError(AggregatorError):
    """The database cannot be opened, migrated or written."""


class BlogrollError(AggregatorError):
    """The blogroll file cannot be read."""


class PostError(AggregatorError):
    """One of the owner's post files cannot be read."""


class PublishError(AggregatorError):
    """The site cannot be written to the output folder."""


class SourceError(AggregatorError):
    """One source failed; the failure is recorded on the source."""

    kind = "error"


class FetchError(SourceError):
    """The HTTP exchange with a source failed."""

    kind = "network"


class FetchTimeout(FetchError):
    kind = "timeout"


class NetworkError(FetchError):
    kind = "network"


class HTTPStatusError(FetchError):
    kind = "http"

    def __init__(self, message: str, status: int, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        #: The raw Retry-After header of a 429 or 503, if any.
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        # Keeps the extra arguments when the error crosses a process boundary.
        return (type(self), (str(self), self.status, self.retry_after))


class RedirectError(FetchError):
    kind = "redirect"


class AddressRefused(FetchError):
    kind = "refused"


class ResponseTooLarge(FetchError):
    kind = "too_large"


class ParseError(SourceError):
    """The response is not a feed we can read."""

    kind = "parse"


class Stopping(AggregatorError):
    """The service is shutting down: work not yet begun is not begun."""
