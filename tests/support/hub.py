"""A WebSub hub on 127.0.0.1 for tests: it records the subscription requests it gets (and
answers 202), and verifies or pushes signed content to a callback when the test says so."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

from tests.support.server import FeedServer


@dataclass(frozen=True)
class HubRequest:
    """One ``POST`` a subscriber sent to the hub."""

    mode: str
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int | None
    #: When the hub got it (``time.monotonic()``).
    at: float


class LocalHub:
    def __init__(self, server: FeedServer, path: str = "/hub") -> None:
        self.server = server
        self.path = path
        self.url = server.serve(path, b"", status=202)

    def requests(self) -> list[HubRequest]:
        seen = []
        for request in self.server.requests_to(self.path):
            form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
            lease = form.get("hub.lease_seconds")
            seen.append(
                HubRequest(
                    mode=form.get("hub.mode", ""),
                    topic=form.get("hub.topic", ""),
                    callback=form.get("hub.callback", ""),
                    secret=form.get("hub.secret"),
                    lease_seconds=int(lease) if lease else None,
                    at=request.at,
                )
            )
        return seen

    def wait_for_request(
        self, mode: str, topic: str, count: int = 1, timeout: float = 15
    ) -> HubRequest:
        """The ``count``-th request of ``mode`` for ``topic``, once it has arrived."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.requests() if r.mode == mode and r.topic == topic]
            if len(found) >= count:
                return found[count - 1]
            if time.monotonic() > deadline:
                raise AssertionError(f"no {mode} #{count} for {topic} in {timeout} s: {found}")
            time.sleep(0.05)

    def verify(
        self,
        request: HubRequest,
        *,
        mode: str | None = None,
        topic: str | None = None,
        challenge: str = "challenge-1234",
        lease_seconds: int | None = None,
    ) -> tuple[int, bytes]:
        """The verification of intent (WebSub §5.3) for ``request``, as a hub sends it;
        ``mode``/``topic`` override what the request said."""
        query = {
            "hub.mode": mode or request.mode,
            "hub.topic": topic or request.topic,
            "hub.challenge": challenge,
        }
        lease = lease_seconds or request.lease_seconds
        if lease and (mode or request.mode) == "subscribe":
            query["hub.lease_seconds"] = str(lease)
        return _call(urllib.request.Request(f"{request.callback}?{urlencode(query)}"))

    def push(
        self,
        request: HubRequest,
        body: bytes,
        *,
        secret: str | None = None,
        method: str = "sha256",
        content_type: str = "application/atom+xml",
    ) -> int:
        """Content distribution (§7) to the request's callback, signed with ``secret``
        (the one the subscriber gave, unless another is named)."""
        key = (secret or request.secret or "").encode()
        signature = hmac.new(key, body, getattr(hashlib, method)).hexdigest()
        status, _ = _call(
            urllib.request.Request(
                request.callback,
                data=body,
                method="POST",
                headers={"Content-Type": content_type, "X-Hub-Signature": f"{method}={signature}"},
            )
        )
        return status


def _call(request: urllib.request.Request) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
